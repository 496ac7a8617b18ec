import ArgumentParser
import Foundation
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
                let failed = outcomes.filter { $0.error != nil }
                for failure in failed {
                    FileHandle.standardError.write(Data("kerb: \(failure.error!.description)\n".utf8))
                }
                let elapsed = ContinuousClock.now - started
                let split = outcomes.filter(\.rolesSplit).count
                print(
                    "migrate: control plane +\(control.applied.count), \(scopes.count - 1) tenants + supplier ops, \(outcomes.count - failed.count) upgraded\(split > 0 ? " (\(split) given a request role)" : ""), \(failed.count) failed, in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))"
                )
                if !failed.isEmpty { throw ExitCode(4) }
            }
        }
    }
}
