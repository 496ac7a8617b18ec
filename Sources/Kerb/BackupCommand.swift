import ArgumentParser
import Backups
import Foundation
import KerbCore
import Logging
import Storage
import Tenancy

/// `kerb backup …`: per-council backups, their verification by restore, and restores (issue 13).
/// Runs as `kerb_admin` with the master key, like the other operators' commands; the web
/// process only reads the evidence.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up councils, prove the backups by restoring them, and restore a council.",
        subcommands: [
            Run.self, Verify.self, Restore.self, ConfirmRestore.self, List.self, Schedule.self, ClusterBackup.self, ClusterVerify.self,
        ])

    /// One council or every council that is not offboarded.
    struct Councils: ParsableArguments {
        @Option(help: "One council, by slug.") var tenant: String?
        @Flag(help: "Every council that is not offboarded.") var all = false

        func slugs(_ runtime: Runtime) async throws -> [String] {
            guard (tenant != nil) != all else { throw ValidationError("name one council with --tenant SLUG, or --all") }
            if let tenant { return [tenant] }
            return try await runtime.lifecycle().list().filter { $0.status != .offboarded }.map(\.slug.rawValue)
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a backup: one snapshot of the schema and documents, encrypted with the council's key, then prune by retention.")
        @OptionGroup var councils: Councils

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let backups = try runtime.backups()
                    var failed = 0
                    for slug in try await councils.slugs(runtime) {
                        do {
                            let record = try await backups.take(slug, by: operatorName())
                            print(
                                "\(slug): backup \(record.id.uuidString.lowercased()) — \(record.rows) rows, \(record.documents) documents, \(record.bytes) bytes, in \(Self.seconds(record))"
                            )
                        } catch let error as any KerbError {
                            failed += 1
                            FileHandle.standardError.write(Data("kerb: \(slug): \(describe(error))\n".utf8))
                        }
                    }
                    if failed > 0 { throw ExitCode(3) }
                }
            }
        }

        static func seconds(_ record: BackupService.Record) -> String {
            String(format: "%.1f s", (record.completedAt ?? record.startedAt).timeIntervalSince(record.startedAt))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Restore a backup into a scratch database, compare it table by table and document by document, and record the evidence.")
        @Argument(help: "A backup's id.") var id: String?
        @Option(help: "The newest backup of this council.") var tenant: String?
        @Flag(help: "The newest backup of every council that is not offboarded.") var latest = false

        func run() async throws {
            try await reportingErrors {
                guard [id != nil, tenant != nil, latest].filter({ $0 }).count == 1 else {
                    throw ValidationError("name a backup id, --tenant SLUG or --latest")
                }
                try await Runtime.with { runtime in
                    let backups = try runtime.backups()
                    var ids: [UUID] = []
                    if let id {
                        guard let parsed = UUID(uuidString: id) else { throw ValidationError("\(id) is not a backup id") }
                        ids = [parsed]
                    } else if let tenant {
                        ids = [try await backups.latest(tenant).id]
                    } else {
                        for tenant in try await runtime.lifecycle().list() where tenant.status != .offboarded {
                            if let newest = try? await backups.latest(tenant.slug.rawValue) { ids.append(newest.id) }
                        }
                    }
                    var failed = 0
                    for id in ids {
                        let result = try await backups.verify(id, by: operatorName())
                        let name = "\(result.council): backup \(id.uuidString.lowercased())"
                        if result.passed {
                            print(
                                "\(name) verified — \(result.tables) tables, \(result.rows) rows, \(result.documents) documents restored and matched in \(String(format: "%.1f", result.seconds)) s"
                            )
                        } else {
                            failed += 1
                            print("\(name) FAILED verification:")
                            for problem in result.problems { print("  - \(problem)") }
                        }
                    }
                    if failed > 0 { throw ExitCode(3) }
                }
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put one council back to one of its backups; the schema it replaces is kept until confirm-restore.")
        @Option(help: "The council, by slug.") var tenant: String
        @Option(help: "The backup's id (one of this council's).") var backup: String

        func run() async throws {
            try await reportingErrors {
                guard let id = UUID(uuidString: backup) else { throw ValidationError("\(backup) is not a backup id") }
                try await Runtime.with { runtime in
                    let restored = try await runtime.backups().restore(tenant, backup: id, by: operatorName())
                    print(
                        "\(restored.council): restored from backup \(id.uuidString.lowercased()) in \(String(format: "%.1f", restored.seconds)) s; the schema it replaced is kept as \(restored.keptSchema)"
                    )
                    print("check the council, then: kerb backup confirm-restore --tenant \(restored.council)")
                }
            }
        }
    }

    struct ConfirmRestore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "confirm-restore", abstract: "Drop the schemas a council's restores set aside, once the restored council is right."
        )
        @Option(help: "The council, by slug.") var tenant: String

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let dropped = try await runtime.backups().confirmRestore(tenant, by: operatorName())
                    print("\(tenant): dropped \(dropped.joined(separator: ", "))")
                }
            }
        }
    }

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up and verify every council once a day, each at its own minute (a long-running service; any number may run).")
        @Flag(help: "One pass over the councils that are due, then exit (for tests and cron).") var once = false

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let schedule = BackupSchedule(backups: try runtime.backups(), name: "schedule:\(ProcessInfo.processInfo.hostName)")
                    let logger = Logger(label: "kerb.backups")
                    repeat {
                        do {
                            for done in try await schedule.pass(logger: logger) {
                                print("\(done.council): \(done.passed ? "backed up and verified" : "FAILED (see kerb backup list)")")
                            }
                        } catch let error as any KerbError where !once {
                            logger.error("backup schedule pass failed", metadata: ["kerb.error": .string(error.code)])
                        }
                        if !once { try await Task.sleep(for: .seconds(60)) }
                    } while !once
                }
            }
        }
    }

    struct ClusterBackup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster-backup",
            abstract: "A pgBackRest backup of the whole cluster into its repository (WAL is archived continuously).")
        @Option(help: "full, diff or incr.") var type = "diff"

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let recovery = ClusterRecovery(
                        settings: try ClusterRecovery.Settings.fromEnvironment(ProcessInfo.processInfo.environment), live: runtime.admin)
                    _ = try await recovery.backup(type: type)
                    print("cluster backup (\(type)) taken")
                }
            }
        }
    }

    struct ClusterVerify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster-verify",
            abstract: "Restore the cluster's backups to a point in time in a scratch cluster, start it and check every council there.")
        @Option(help: "Recover to this time (with its offset, e.g. '2026-12-02 14:05:00+00'); default: the end of the archive.")
        var target: String?
        @Option(help: "The scratch cluster's port.") var port = 54_399

        func run() async throws {
            try await reportingErrors {
                guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
                if let target, target.count > 64 || target.contains(where: { !($0.isNumber || " -:.+TZ".contains($0)) }) {
                    throw ValidationError("--target must be a timestamp such as 2026-12-02 14:05:00+00")
                }
                try await Runtime.with { runtime in
                    let recovery = ClusterRecovery(
                        settings: try ClusterRecovery.Settings.fromEnvironment(ProcessInfo.processInfo.environment), live: runtime.admin)
                    let report = try await recovery.verify(target: target, port: port)
                    print(
                        "recovered to \(report.target) in \(String(format: "%.1f", report.restoreSeconds)) s (restore, WAL replay, start)")
                    for council in report.councils {
                        let rows = council.tables.reduce(Int64(0)) { $0 + $1.rows }
                        let tables = council.tables.map { "\($0.name)=\($0.rows)" }.joined(separator: " ")
                        print(
                            "\(council.slug): \(council.problems.isEmpty ? "ok" : "FAILED") — \(rows) rows, audit trail \(council.auditRows) entries; \(tables)"
                        )
                        for problem in council.problems { print("  - \(problem)") }
                    }
                    if !report.passed { throw ExitCode(5) }
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List backups, newest first, with their last verification.")
        @Option(help: "One council, by slug.") var tenant: String?

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let format = ISO8601DateFormatter()
                    for record in try await runtime.backups().list(tenant) {
                        let state =
                            record.completedAt == nil
                            ? "incomplete"
                            : record.pruned
                                ? "pruned"
                                : record.verifiedPassed == true
                                    ? "verified"
                                    : record.verifiedPassed == false ? "FAILED" : "not verified"
                        print(
                            "\(record.id.uuidString.lowercased())  \(record.council.padding(toLength: 24, withPad: " ", startingAt: 0))  \(format.string(from: record.startedAt))  \(state.padding(toLength: 12, withPad: " ", startingAt: 0))  \(record.rows) rows, \(record.documents) documents, \(record.bytes) bytes"
                        )
                    }
                }
            }
        }
    }
}
