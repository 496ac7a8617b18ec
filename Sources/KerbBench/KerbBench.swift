import ArgumentParser
import Foundation
import Keys
import Logging
import NIOPosix
import Storage
import Tenancy

/// `kerb-bench`: Kerb's benchmark driver (run by `infra/bench` on a release build against its own
/// PostgreSQL cluster). Prints figures and ratios against baselines measured in the same run;
/// nothing here is a test.
@main
struct KerbBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kerb-bench", abstract: "Measure Kerb on this machine.")

    @Option(help: "Path of the release `kerb` binary (for `kerb migrate` timings).") var kerb: String
    @Option(help: "Tenants for the large migrate measurement.") var tenants = 2000
    @Option(help: "Onboardings timed one by one.") var onboardings = 20
    @Option(help: "Interleaved rounds of each HTTP/pgbench measurement.") var rounds = 5
    @Option(help: "Seconds per measurement in a round.") var seconds = 8
    @Option(help: "Concurrent connections for wrk and pgbench.") var connections = 32
    @Option(help: "pgbench database (initialised by infra/bench).") var pgbenchDatabase = "kerb_pgbench"
    @Option(help: "Worker threads (and connections) of the pipelined read path.") var readWorkers = max(
        1, ProcessInfo.processInfo.activeProcessorCount / 2)
    @Option(help: "Applications (and badges) in the national-volume council.") var volume = 100_000
    @Option(help: "Which parts to run: onboard,migrate,http,signin,casework,reads,documents,messages,backups (comma separated).") var only =
        "onboard,migrate,http,signin,casework,reads,documents,messages,backups"

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let config = try DatabaseConfig.fromEnvironment(env)
        let threads = NIOThreadPool(numberOfThreads: 5)
        threads.start()
        let admin = AdminDatabase(config: config, threads: threads)
        let report = Report()
        report.line("Kerb benchmark — \(Machine.describe())")
        let parts = Set(only.split(separator: ",").map(String.init))

        let fleet = Fleet(admin: admin)
        if parts.contains("onboard") {
            try await OnboardingBench(fleet: fleet, count: onboardings).run(report)
        }
        if parts.contains("migrate") {
            try await MigrateBench(fleet: fleet, admin: admin, kerb: kerb, large: tenants).run(report)
        }
        if parts.contains("http") {
            try await HTTPBench(
                config: config, fleet: fleet, rounds: rounds, seconds: seconds, connections: connections,
                pgbenchDatabase: pgbenchDatabase, rawPassword: env["KERB_BENCH_RAW_PASSWORD"] ?? "", readWorkers: readWorkers
            ).run(report)
        }
        if parts.contains("signin") {
            try await SignInBench(config: config, seconds: seconds, connections: connections, rounds: rounds).run(report)
        }
        if parts.contains("casework") {
            try await CaseworkBench(
                config: config, fleet: fleet, admin: admin, seconds: seconds, connections: connections, rounds: rounds, volume: volume
            ).run(report)
        }
        if parts.contains("reads") {
            try await ReadsBench(
                config: config, admin: admin, seconds: seconds, connections: connections, rounds: rounds, pgbenchDatabase: pgbenchDatabase,
                readWorkers: readWorkers
            ).run(report)
        }
        if parts.contains("documents") {
            try await DocumentsBench(config: config, fleet: fleet, admin: admin, rounds: max(3, rounds)).run(report)
        }
        if parts.contains("messages") {
            try await MessagesBench(config: config, fleet: fleet, admin: admin).run(report)
        }
        if parts.contains("backups") {
            try await BackupsBench(config: config, fleet: fleet, admin: admin, volume: volume, rounds: max(1, min(rounds, 3))).run(report)
        }
        report.line("")
        try await threads.shutdownGracefully()
    }
}

/// Makes benchmark tenants through the real onboarding code, backed by synthetic authorities
/// (the catalogue's 205 real ones can be onboarded once each and are left alone).
struct Fleet {
    let admin: AdminDatabase

    func lifecycle(for authorities: [String]) throws -> TenantLifecycle {
        let rows = authorities.map { "\($0),Bench Council \($0),C,England" }.joined(separator: "\n")
        return TenantLifecycle(
            database: admin,
            catalogue: try AuthorityCatalogue(authoritiesCSV: "slug,name,band,nation\n\(rows)\n", bandsCSV: "band,rank,description\n"),
            tenantMigrations: try Migration.bundled(.tenant),
            keys: CouncilKeys(master: try MasterKey.fromEnvironment(ProcessInfo.processInfo.environment)))
    }

    func count() async throws -> Int {
        try await admin.session { s in Int(try s.query("SELECT count(*) FROM kerb_control.tenants")[0][0] ?? "0") ?? 0 }
    }

    /// Onboards `slug`, returning the wall time of the onboarding call alone.
    @discardableResult
    func onboard(_ slug: String) async throws -> Duration {
        try await admin.transaction { s in
            try s.query(
                "INSERT INTO kerb_control.authorities (slug, name, band, nation) VALUES ($1, $2, 'C', 'England') ON CONFLICT DO NOTHING",
                [slug, "Bench Council \(slug)"])
        }
        let lifecycle = try lifecycle(for: [slug])
        let start = ContinuousClock.now
        _ = try await lifecycle.onboard(
            .init(authority: slug, adminName: "Robin Bench", adminEmail: "robin.bench@\(slug).bench.example", actor: "bench"))
        return ContinuousClock.now - start
    }

    /// Grows the fleet to `total` tenants, `parallel` onboardings at a time.
    func grow(to total: Int, parallel: Int = 2, report: Report) async throws {
        var have = try await count()
        guard have < total else { return }
        let start = ContinuousClock.now
        let needed = total - have
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = have
            for _ in 0..<parallel {
                let index = next
                next += 1
                group.addTask { try await onboard(String(format: "bench-%05d", index)) }
            }
            while try await group.next() != nil {
                have += 1
                if have % 100 == 0 { report.progress("growing fleet: \(have)/\(total)") }
                if next < total {
                    let index = next
                    next += 1
                    group.addTask { try await onboard(String(format: "bench-%05d", index)) }
                }
            }
        }
        report.progress("")
        report.line(String(format: "  (grew fleet by %d tenants in %.1f s)", needed, (ContinuousClock.now - start).seconds))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}
