import Backups
import Documents
import Foundation
import KerbCore
import KerbTestSupport
import Keys
import Logging
import Storage
import Tenancy
import Web

/// Backups (issue 13): a council with `volume` applications (people, applications and badges,
/// plus 20 documents of 100 kB) backed up (counts and checksums, pg_dump in the same snapshot,
/// encrypted as it streams, documents copied, fsync'd, renamed) and verified (restored into a
/// scratch database with pg_restore, recounted, every document opened and hashed), next to
/// PostgreSQL's own `pg_dump --format=custom` of the same schema to a file and `pg_restore` of
/// that into a fresh database. Then every council in the cluster, one after another. Target:
/// backup and verification of the 100,000-application council under 60 s.
struct BackupsBench {
    let config: DatabaseConfig
    let fleet: Fleet
    let admin: AdminDatabase
    let volume: Int
    let rounds: Int

    func run(_ report: Report) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        report.line(
            "\nBackups (a council of \(volume) applications and badges, 20 documents of 100 kB; pg_dump and pg_restore of the same schema alongside)"
        )
        let slug = String(format: "bench-bak-%05d", try await fleet.count())
        try await fleet.onboard(slug)
        let scope = TenantScope(try Slug.bench(slug))
        let vault = try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment)
        let deps = try await WebDependencies.live(config, vault: vault, readWorkers: 1, metrics: nil, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await deps.database.pool.run() }
            defer { group.cancelAll() }
            try await SyntheticHolders.insert(deps.identity.database, scope, count: volume, logger: logger)
        }
        try await SyntheticDocuments.insert(
            admin, scope, keys: CouncilKeys(master: vault.master), store: vault.blobs, count: 20, bytes: 100_000)
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kerb-bench-backups-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let tools = PostgresTools(config: config)
        let backups = BackupService(
            lifecycle: try fleet.lifecycle(for: []), blobs: vault.blobs, tools: tools, root: root,
            retention: BackupRetention(daily: 100, weekly: 0, monthly: 0))

        var rows: [(backup: Double, verify: Double, dump: Double, restore: Double, bytes: Int64, dumpBytes: Int)] = []
        for round in 1...rounds {
            report.progress("backups round \(round)/\(rounds)")
            var record: BackupService.Record?
            let backup = try await Tools.seconds { record = try await backups.take(slug, by: "bench") }
            guard let record else { continue }
            var result: BackupService.Verification?
            let verify = try await Tools.seconds { result = try await backups.verify(record.id, by: "bench") }
            guard result?.passed == true else { throw BenchError.unparsable("verification failed: \(result?.problems ?? [])") }
            let (dump, restore, dumpBytes) = try await baseline(scope, tools: tools, root: root)
            rows.append((backup, verify, dump, restore, record.bytes, dumpBytes))
        }
        let backup = Stats.median(rows.map(\.backup)), verify = Stats.median(rows.map(\.verify))
        let dump = Stats.median(rows.map(\.dump)), restore = Stats.median(rows.map(\.restore))
        report.line(
            String(
                format: "  backup:  %6.2f s   (pg_dump -Fc to a file %5.2f s: %.2f× its time; %.1f MB, pg_dump's file %.1f MB)",
                backup, dump, backup / dump, Double(rows.last?.bytes ?? 0) / 1e6, Double(rows.last?.dumpBytes ?? 0) / 1e6))
        report.line(
            String(
                format: "  verify:  %6.2f s   (createdb + pg_restore of that file %5.2f s: %.2f× its time)", verify, restore,
                verify / restore))
        report.line(String(format: "  backup + verify: %.2f s (target < 60 s), median of %d rounds", backup + verify, rows.count))

        // Every council in the cluster, one after another, as the daily schedule would.
        let councils = try await fleet.lifecycle(for: []).list().filter { $0.status != .offboarded && $0.slug.rawValue != slug }
        var total = 0.0
        for council in councils {
            total += try await Tools.seconds {
                let taken = try await backups.take(council.slug.rawValue, by: "bench")
                guard try await backups.verify(taken.id, by: "bench").passed else { throw BenchError.unparsable("\(council.slug) failed") }
            }
        }
        if !councils.isEmpty {
            report.line(
                String(
                    format:
                        "  every other council in the cluster (%d: rutland, the demo councils and any other parts made): backup + verify of all %.1f s, %.2f s each",
                    councils.count, total, total / Double(councils.count)))
        }
    }

    /// pg_dump of the same schema to a file (fsync'd by pg_dump), then a fresh database and
    /// pg_restore of the file into it: PostgreSQL's own tools, with nothing of Kerb's checking.
    func baseline(_ scope: TenantScope, tools: PostgresTools, root: URL) async throws -> (Double, Double, Int) {
        let file = root.appendingPathComponent("baseline.pgdump").path
        let databaseName = config.database
        let dump = try await Tools.seconds {
            try await admin.blocking {
                try tools.run(
                    PostgresTools.Step(
                        "pg_dump", ["--format=custom", "--schema=\(scope.schema)", "--role=\(scope.ownerRole)", "--file=\(file)"],
                        database: databaseName))
            }
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int ?? 0
        let scratch = ScratchDatabase()
        let restore = try await Tools.seconds {
            try await admin.session { session in try session.createScratchDatabase(scratch) }
            try await admin.elsewhere(scratch).session { session in try session.prepareScratch(scratch, for: scope) }
            try await admin.blocking {
                try tools.run(
                    PostgresTools.Step(
                        "pg_restore",
                        ["--dbname=\(scratch.name)", "--role=\(scope.ownerRole)", "--single-transaction", "--exit-on-error", file],
                        database: scratch.name))
            }
        }
        try await admin.session { session in try session.dropScratchDatabase(scratch) }
        try? FileManager.default.removeItem(atPath: file)
        return (dump, restore, bytes)
    }
}
