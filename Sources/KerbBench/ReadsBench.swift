import Audit
import Documents
import Foundation
import Hummingbird
import Identity
import KerbCore
import Logging
import Policy
import Storage
import Tenancy
import Web

/// What one authenticated read costs end to end, next to PostgreSQL's own client (issue 10, item 9).
///
/// One process serves the real application; each round runs `pgbench -S -M prepared` (at 1 and at
/// `connections` clients) and then, with wrk, each of:
///   api read      GET /t/rutland/api/v1/applications/<reference>  with an API key (Bearer)
///   case page     GET /t/rutland/cases/<reference>                with a signed-in officer's session cookie
/// at 1 connection and at `connections`. Ratios are per round (this VM drifts), medians reported.
///
/// Before the load it counts, for one request of each kind (and for an API read of an application
/// that does not exist), the transactions (`pg_stat_database.xact_commit + xact_rollback`) and the
/// statements (`pg_stat_statements`, when `infra/bench` preloaded it) PostgreSQL ran per request,
/// with the statements that make up one request.
struct ReadsBench {
    let config: DatabaseConfig
    let admin: AdminDatabase
    let seconds: Int
    let connections: Int
    let rounds: Int
    let pgbenchDatabase: String
    /// The pipeline's threads, as `kerb serve --read-workers` (its default: one per two cores).
    let readWorkers: Int
    let port = 18083
    let slug = "rutland"
    static let applications = 200

    func run(_ report: Report) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        report.line(
            "\nAuthenticated reads (\(Self.applications) applications in one council; wrk -t1 at -c1 and -c\(connections), \(seconds) s each, \(rounds) interleaved rounds with pgbench -S -M prepared; \(readWorkers) read pipeline worker(s))"
        )
        let scope = TenantScope(try Slug.bench(slug))
        try await seed(scope)
        let deps = try await WebDependencies.live(
            config, vault: try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment), readWorkers: readWorkers, metrics: nil,
            logger: logger)
        let app = try await buildApplication(WebConfig(host: "127.0.0.1", port: port), deps, logger: logger)
        try await Tools.serving(app) {
            try await Tools.waitUntilServing("http://127.0.0.1:\(port)/healthz")
            let (userID, session) = try await BenchOfficer.signedIn(scope, name: "Riley Reader", deps: deps, admin: admin, logger: logger)
            let key = try await APIKeyService(database: deps.database).create(
                scope, name: "Bench integration", permissions: [.viewCase],
                by: AuditEvent(actorID: userID, actor: "kerb-bench", action: ""), now: Date(), logger: logger
            ).key
            let references = (1...Self.applications).map(Self.reference)
            let scripts = try [
                (
                    "api read",
                    script(
                        "api", headers: ["Authorization": "Bearer \(key)"], paths: references.map { "/t/\(slug)/api/v1/applications/\($0)" }
                    )
                ),
                (
                    "case page",
                    script("case", headers: ["Cookie": "kerb_session=\(session)"], paths: references.map { "/t/\(slug)/cases/\($0)" })
                ),
                (
                    "api missing",
                    script("missing", headers: ["Authorization": "Bearer \(key)"], paths: ["/t/\(slug)/api/v1/applications/BB-2025-999999"])
                ),
            ]
            defer { for (_, path) in scripts { try? FileManager.default.removeItem(atPath: path) } }
            let base = "http://127.0.0.1:\(port)/"
            for (_, path) in scripts { _ = try await Tools.wrk(url: base, seconds: 1, connections: 2, script: path) }  // warm up

            report.line("  per request (counted by PostgreSQL while wrk -c1 ran alone for 2 s):")
            for (name, path) in scripts {
                try await count(name, script: path, base: base, report: report)
            }

            var samples: [String: [Tools.WrkResult]] = [:]
            var pgbench: [Int: [Double]] = [:]
            let loads = [("api read", 1), ("api read", connections), ("case page", 1), ("case page", connections)]
            for round in 1...rounds {
                var line = "  round \(round):"
                for clients in Set([1, connections]).sorted() {
                    let tps = try await Tools.pgbench(database: pgbenchDatabase, config: config, seconds: seconds, connections: clients)
                    pgbench[clients, default: []].append(tps)
                    line += String(format: " pgbench -c%d %.0f tps |", clients, tps)
                }
                for (name, clients) in loads {
                    guard let path = scripts.first(where: { $0.0 == name })?.1 else { continue }
                    let result = try await Tools.wrk(url: base, seconds: seconds, connections: clients, script: path)
                    samples["\(name) -c\(clients)", default: []].append(result)
                    line += String(
                        format: " %@ -c%d %.0f rps p99 %.2f ms%@ |", name, clients, result.requestsPerSecond, result.p99,
                        result.errors > 0 ? " (\(result.errors) non-2xx!)" : "")
                }
                report.line(line)
            }
            for clients in Set([1, connections]).sorted() {
                report.line(String(format: "  pgbench -S -M prepared -c%d: median %.0f tps", clients, Stats.median(pgbench[clients] ?? [])))
            }
            for (name, clients) in loads {
                let results = samples["\(name) -c\(clients)"] ?? []
                let ratios = zip(results, pgbench[clients] ?? []).map { $0.requestsPerSecond / $1 }
                report.line(
                    String(
                        format:
                            "  %-9@ -c%-3d median %.0f rps, %.4fx pgbench -c%d (median of per-round ratios), p50 %.2f ms, p99 %.2f ms, non-2xx %d",
                        name, clients, Stats.median(results.map(\.requestsPerSecond)), Stats.median(ratios), clients,
                        Stats.median(results.map(\.p50)), Stats.median(results.map(\.p99)), results.map(\.errors).reduce(0, +)))
            }
            report.line("  (target: api read at -c\(connections) >= 0.10x pgbench with p99 < 20 ms)")
        }
    }

    static func reference(_ i: Int) -> String { String(format: "BB-2025-%06d", i) }

    /// Counts what PostgreSQL ran for one kind of request: wrk -c1 alone for 2 s, statistics before
    /// and after (a backend reports its counts within a second of going idle, hence the pause).
    private func count(_ name: String, script: String, base: String, report: Report) async throws {
        let before = try await statistics()
        let run = try await Tools.wrkCount(url: base, seconds: 2, script: script)
        // A backend that flushed its statistics less than a second ago holds the next ones until
        // it has been idle for 10 s (PGSTAT_IDLE_INTERVAL).
        try await Task.sleep(for: .seconds(11))
        let after = try await statistics()
        let requests = Double(max(1, run.requests))
        let transactions = Double(after.transactions - before.transactions) / requests
        var line = String(format: "    %-11@ %d requests (%@)", name, run.requests, run.result.errors > 0 ? "not 2xx" : "2xx")
        if let s0 = before.statements, let s1 = after.statements {
            var perStatement: [(String, Double)] = []
            var total = 0.0
            var switches = 0.0
            for (query, calls) in s1 {
                let delta = Double(calls - (s0[query] ?? 0)) / requests
                total += delta
                if query.hasPrefix("SELECT set_config('role'") { switches += delta }
                if delta >= 0.05 { perStatement.append((query, delta)) }
            }
            // Every confined transaction (PostgresNIO or pipelined) has exactly one role switch.
            line += String(
                format: ": %.2f confined transactions (role switches), %.2f statements per request; pg_stat_database %.2f xacts",
                switches, total, transactions)
            report.line(line)
            for (query, calls) in perStatement.sorted(by: { $0.1 > $1.1 }) {
                let text = query.replacingOccurrences(of: "\n", with: " ").split(separator: " ", omittingEmptySubsequences: true)
                    .joined(separator: " ")
                report.line(String(format: "      %5.2f × %@", calls, String(text.prefix(150))))
            }
        } else {
            report.line(line + " (pg_stat_statements not loaded: no statement counts)")
        }
    }

    private struct Statistics {
        let transactions: Int
        let statements: [String: Int]?
    }

    private func statistics() async throws -> Statistics {
        try await admin.session { s in
            let database = try s.query("SELECT current_database()")[0][0] ?? "kerb"
            let xacts = try s.query(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", [database])
            let transactions = Int(xacts.first?[0] ?? "0") ?? 0
            let loaded = try s.query("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")[0][0] == "1"
            guard loaded else { return Statistics(transactions: transactions, statements: nil) }
            // kerb_admin is NOINHERIT: it reads other roles' statement texts as pg_read_all_stats.
            // Statements run as the login role and as any council's request role count; this
            // session's own do not.
            try s.query("SET ROLE pg_read_all_stats")
            var statements: [String: Int] = [:]
            for row in try s.query(
                """
                SELECT query, calls FROM kerb_admin.pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
                WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND r.rolname NOT IN ('kerb_admin', 'kerb_super', 'pg_read_all_stats')
                """)
            {
                statements[row[0] ?? "", default: 0] += Int(row[1] ?? "0") ?? 0
            }
            try s.query("RESET ROLE")
            return Statistics(transactions: transactions, statements: statements)
        }
    }

    /// Applicants and applications (with a short timeline each) in the council, once.
    private func seed(_ scope: TenantScope) async throws {
        let count = Self.applications
        try await admin.transaction { s in
            try s.enterTenant(scope)
            try s.query(
                """
                INSERT INTO people (id, full_name, date_of_birth, address_line1, town, postcode)
                SELECT md5('rp' || i)::uuid, 'Reader Applicant ' || i, date '1940-01-01' + i, i || ' High Street', 'Oakham', 'LE15 6' || chr(65 + i % 26) || 'B'
                FROM generate_series(1, $1::int) i ON CONFLICT DO NOTHING
                """, [String(count)])
            try s.query(
                """
                INSERT INTO applications (id, reference, person_id, kind, channel, eligibility, status, received_at, created_at)
                SELECT md5('ra' || i)::uuid, 'BB-2025-' || lpad(i::text, 6, '0'), md5('rp' || i)::uuid, 'NEW', 'ONLINE', 'PIP',
                    'RECEIVED', now() - ((i % 30) || ' days')::interval, now() - ((i % 30) || ' days')::interval
                FROM generate_series(1, $1::int) i ON CONFLICT DO NOTHING
                """, [String(count)])
            try s.query(
                """
                INSERT INTO application_events (application_id, at, actor, kind, detail)
                SELECT md5('ra' || i)::uuid, now() - ((i % 30) || ' days')::interval + (k || ' hours')::interval, 'Kerb bench', 'note', 'Event ' || k
                FROM generate_series(1, $1::int) i, generate_series(1, 3) k
                WHERE NOT EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = md5('ra' || i)::uuid)
                """, [String(count)])
            try s.leaveTenant()
        }
    }

    /// A wrk script sending `headers` and walking `paths` at random.
    private func script(_ name: String, headers: [String: String], paths: [String]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-reads-\(name)-\(getpid()).lua").path
        let list = paths.map { "\"\($0)\"" }.joined(separator: ",")
        let headerLines = headers.map { "wrk.headers[\"\($0.key)\"] = \"\($0.value)\"" }.joined(separator: "\n")
        try """
        local paths = {\(list)}
        \(headerLines)
        request = function() return wrk.format("GET", paths[math.random(#paths)]) end
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}
