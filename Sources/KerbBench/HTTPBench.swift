import Documents
import Foundation
import Hummingbird
import KerbCore
import Logging
import Storage
import Tenancy
import Web

/// Throughput of a tenant-routed one-row read over HTTP, next to PostgreSQL's own client.
///
/// One process serves the real application plus two comparison routes, and `wrk` (a separate
/// process) loads each in turn, interleaved with `pgbench -S -M prepared` on the same cluster:
/// this VM drifts run to run, so each round's ratios are taken and the median reported.
///   isolated  GET /t/rutland/api/v1/profile   the product path: tenant routing + role switch, pipelined
///   raw       GET /bench/raw                  the same read and pipeline, no role switch, as a role with a direct grant
///   nio       GET /bench/nio                  the role switch as BEGIN + set_config + SELECT + COMMIT through PostgresNIO
///   queued    GET /bench/queued               the same four statements written at once (`TenantDatabase.statement`): one await
///   static    GET /bench/static               the same JSON with no database at all: the HTTP ceiling
struct HTTPBench {
    let config: DatabaseConfig
    let fleet: Fleet
    let rounds: Int
    let seconds: Int
    let connections: Int
    let pgbenchDatabase: String
    let rawPassword: String
    let readWorkers: Int
    let port = 18080
    static let slug = "rutland"

    func run(_ report: Report) async throws {
        report.line("\nTenant-routed one-row read over HTTP (wrk -t1 -c\(connections), \(seconds) s each, \(rounds) interleaved rounds)")
        var logger = Logger(label: "bench")
        logger.logLevel = .critical  // failures show as wrk's non-2xx count; shutdown noise is not news
        let deps = try await WebDependencies.live(
            config, vault: try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment), readWorkers: readWorkers, metrics: nil,
            logger: logger)
        var rawConfig = config
        rawConfig.appUser = "kerb_bench_raw"
        rawConfig.appPassword = rawPassword
        let raw = TenantReadPipeline.unconfinedForBenchmark(
            config: rawConfig, workers: readWorkers,
            statements: ["SELECT authority, display_name, nation, band FROM t_rutland.profile WHERE id = 1"])
        try raw.start()
        defer { raw.shutdown() }
        let tenantDB = deps.database
        let scope = TenantScope(Slug(Self.slug)!)

        let app = try await buildApplication(WebConfig(host: "127.0.0.1", port: port), deps, logger: logger) { router in
            router.get("bench/raw") { _, _ in
                let rows = try await raw.fetch(raw.statement(0), in: scope)
                return Self.json(rows)
            }
            router.get("bench/queued") { _, context in
                let rows = try await tenantDB.statement(
                    scope, "SELECT authority, display_name, nation, band FROM profile WHERE id = 1", logger: context.logger)
                return Self.json(
                    try rows.map { row in
                        let (a, b, c, d) = try row.decode((String, String, String, String).self)
                        return [a, b, c, d]
                    })
            }
            router.get("bench/static") { _, _ in
                Self.json([["rutland", "Rutland", "England", "A"]])
            }
            router.get("bench/nio") { _, context in
                let rows: [[String?]] = try await tenantDB.transaction(scope, logger: context.logger) { conn in
                    var out: [[String?]] = []
                    for try await (a, b, c, d) in try await conn.query(
                        "SELECT authority, display_name, nation, band FROM profile WHERE id = 1", logger: context.logger
                    ).decode((String, String, String, String).self) { out.append([a, b, c, d]) }
                    return out
                }
                return Self.json(rows)
            }
        }
        try await Tools.serving(app) {
            try await Tools.waitUntilServing(url("/healthz"))
            let targets = [
                ("isolated", "/t/\(Self.slug)/api/v1/profile"), ("raw", "/bench/raw"), ("nio", "/bench/nio"), ("queued", "/bench/queued"),
                ("static", "/bench/static"),
            ]
            for (_, path) in targets { _ = try await Tools.wrk(url: url(path), seconds: 2, connections: connections) }  // warm up
            var samples: [String: [Tools.WrkResult]] = [:]
            var pgbench: [Double] = []
            for round in 1...rounds {
                let tps = try await Tools.pgbench(database: pgbenchDatabase, config: config, seconds: seconds, connections: connections)
                pgbench.append(tps)
                var line = String(format: "  round %d: pgbench %.0f tps", round, tps)
                for (name, path) in targets {
                    let result = try await Tools.wrk(url: url(path), seconds: seconds, connections: connections)
                    samples[name, default: []].append(result)
                    line += String(format: " | %@ %.0f rps (%.2fx)", name, result.requestsPerSecond, result.requestsPerSecond / tps)
                }
                report.line(line)
            }
            report.line(String(format: "  pgbench -S -M prepared: median %.0f tps", Stats.median(pgbench)))
            for (name, _) in targets {
                let results = samples[name] ?? []
                let ratios = zip(results, pgbench).map { $0.requestsPerSecond / $1 }
                report.line(
                    String(
                        format:
                            "  %-8@ median %.0f rps, %.2fx pgbench (median of per-round ratios), latency p50 %.2f ms, p99 %.2f ms (median over rounds), non-2xx %d",
                        name, Stats.median(results.map(\.requestsPerSecond)), Stats.median(ratios),
                        Stats.median(results.map(\.p50)), Stats.median(results.map(\.p99)), results.map(\.errors).reduce(0, +)))
            }
            let isolation = zip(samples["isolated"] ?? [], samples["raw"] ?? []).map { $0.requestsPerSecond / $1.requestsPerSecond }
            report.line(
                String(
                    format:
                        "  isolation costs: isolated/raw = %.2fx (median of per-round ratios)   (targets: isolated >= 0.50x pgbench, p99 < 5 ms)",
                    Stats.median(isolation)))
        }
    }

    private func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private static func json(_ rows: [[String?]]) -> Response {
        let row = rows.first ?? []
        let object = ["authority": row[safe: 0], "displayName": row[safe: 1], "nation": row[safe: 2], "band": row[safe: 3]]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(object)) ?? Data())))
    }
}

extension Array where Element == String? {
    subscript(safe index: Int) -> String? { indices.contains(index) ? self[index] : nil }
}
