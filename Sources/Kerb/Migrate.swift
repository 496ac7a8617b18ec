import ArgumentParser
import Foundation
import Identity
import Keys
import Storage
import Tenancy

/// `kerb migrate`: control plane, then the authority catalogue, then every tenant.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations to the control plane and every tenant.")

    @Option(help: "How many tenants to migrate at once.") var parallelism = 4
    @Flag(help: "Print only the summary line.") var quiet = false

    func run() async throws {
        guard (1...64).contains(parallelism) else { throw ValidationError("--parallelism must be between 1 and 64") }
        try await reportingErrors {
            try await Runtime.with(threads: parallelism + 1) { runtime in
                let started = ContinuousClock.now
                let migrator = try Migrator(database: runtime.admin)
                let control = try await migrator.migrateControl()
                let catalogue = try AuthorityCatalogue.bundled()
                try await runtime.admin.transaction { session in try catalogue.sync(session) }
                // Supplier operations' schema is created on the first run and migrated like a council's after.
                try await SupplierOps.ensure(runtime.admin, migrations: try Migration.bundled(.tenant))
                let scopes = try await runtime.lifecycle().migratableScopes() + [.supplierOps]
                let quiet = self.quiet
                let outcomes = try await migrator.migrateTenants(scopes, parallelism: parallelism) { done, total, outcome in
                    guard !quiet else { return }
                    let status = outcome.error == nil ? "ok" : "FAILED"
                    FileHandle.standardError.write(Data("\rmigrating tenants: \(done)/\(total) \(outcome.schema) \(status)\u{1B}[K".utf8))
                    if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
                }
                let keys = try runtime.councilKeys()
                let keyed = try await runtime.admin.transaction { session in try keys.ensureAll(session, scopes) }
                let sealed = try await Self.sealLegacySecrets(outcomes, scopes: scopes, keys: keys, admin: runtime.admin)
                let failed = outcomes.filter { $0.error != nil }
                for failure in failed {
                    FileHandle.standardError.write(Data("kerb: \(failure.error!.description)\n".utf8))
                }
                let elapsed = ContinuousClock.now - started
                let split = outcomes.filter(\.rolesSplit).count
                let keyNote = keyed > 0 ? ", \(keyed) given a data key" : ""
                let sealNote = sealed > 0 ? ", \(sealed) secrets sealed" : ""
                print(
                    "migrate: control plane +\(control.applied.count), \(scopes.count - 1) tenants + supplier ops, \(outcomes.count - failed.count) upgraded\(split > 0 ? " (\(split) given a request role)" : "")\(keyNote)\(sealNote), \(failed.count) failed, in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))"
                )
                if !failed.isEmpty { throw ExitCode(4) }
            }
        }
    }

    /// Seals the TOTP secrets of schemas that have just gained migration 0014 (before it they
    /// were stored in the clear), each in one transaction with that schema's data key.
    static func sealLegacySecrets(_ outcomes: [Migrator.Outcome], scopes: [TenantScope], keys: CouncilKeys, admin: AdminDatabase)
        async throws
        -> Int
    {
        let upgraded = Set(
            outcomes.filter { $0.error == nil && $0.applied.contains { version in version.hasPrefix("0014_") } }.map(\.schema))
        var sealed = 0
        for scope in scopes where upgraded.contains(scope.schema) {
            sealed += try await admin.transaction { session in
                let key = try keys.current(session, scope)
                try session.enterTenant(scope)
                defer { try? session.leaveTenant() }
                return try SealedSecrets.sealLegacy(session, with: key)
            }
        }
        return sealed
    }
}
