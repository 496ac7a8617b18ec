import Foundation
import KerbCore
import Storage

/// `kerb migrate` across the fleet: the real binary with nothing to do (target: under 2 s at
/// 2,000 tenants), and one new migration applied to every tenant.
struct MigrateBench {
    let fleet: Fleet
    let admin: AdminDatabase
    let kerb: String
    let large: Int

    func run(_ report: Report) async throws {
        report.line("\nkerb migrate")
        for size in [205, large] where size > 0 {
            try await fleet.grow(to: size, report: report)
            let tenants = try await fleet.count()
            var noop: [Double] = []
            for _ in 0..<3 { noop.append(try timeCommand(kerb, ["migrate", "--quiet"])) }
            report.line(
                String(
                    format: "  %5d tenants, nothing to do: median %.0f ms of 3 runs (whole process)   (target < 2000 ms at 2,000)", tenants,
                    Stats.median(noop)))

            // One new tenant migration, applied everywhere with the same code as `kerb migrate`.
            let migrator = try Migrator(database: admin)
            let probe = Migration(
                target: .tenant, version: "9900_bench_probe_\(tenants)",
                sql: "CREATE TABLE bench_probe_\(tenants) (id bigint PRIMARY KEY, note text NOT NULL DEFAULT '');")
            let withProbe = Migrator(database: admin, control: migrator.control, tenant: migrator.tenant + [probe])
            let scopes = try await admin.session { s in
                try s.query("SELECT slug FROM kerb_control.tenants WHERE status <> 'offboarded'").compactMap {
                    $0[0].flatMap(Slug.init).map(TenantScope.init)
                }
            }
            let start = ContinuousClock.now
            let outcomes = try await withProbe.migrateTenants(scopes, parallelism: 4)
            let elapsed = (ContinuousClock.now - start).milliseconds
            let failed = outcomes.filter { $0.error != nil }.count
            report.line(
                String(
                    format: "  %5d tenants, one new migration: %.0f ms (%.2f ms/tenant, parallelism 4, %d failed)", tenants, elapsed,
                    elapsed / Double(max(1, tenants)), failed))
        }
    }

    /// Wall time of a whole command in milliseconds; a failing command stops the benchmark.
    private func timeCommand(_ path: String, _ arguments: [String]) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError.commandFailed(path, process.terminationStatus) }
        return (ContinuousClock.now - start).milliseconds
    }
}

enum BenchError: Error {
    case commandFailed(String, Int32)
    case unparsable(String)
    case badSlug(String)
}

extension Slug {
    /// A council slug given to the benchmark, checked (a bad one ends the run with an error).
    static func bench(_ text: String) throws -> Slug {
        guard let slug = Slug(text) else { throw BenchError.badSlug(text) }
        return slug
    }
}
