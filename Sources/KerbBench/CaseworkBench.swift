import Documents
import Foundation
import Hummingbird
import Identity
import KerbCore
import Logging
import Storage
import Tenancy
import Web

/// Case-page and search latency for a council at national volume: 100,000 applicants, each with
/// an application and most with a badge. Each round loads, with wrk against the real application
/// and a signed-in case officer's session:
///   single read   GET /api/v1/profile          the tenant-routed one-row read (baseline)
///   case page     GET /cases/<reference>       a random case of the 100,000 (page, badge, fee, letters)
///   search        GET /cases?q=<misspelt name> fuzzy name search over all applicants
///   badge search  GET /cases?q=<badge number>  exact badge number
struct CaseworkBench {
    let config: DatabaseConfig
    let fleet: Fleet
    let admin: AdminDatabase
    let seconds: Int
    let connections: Int
    let rounds: Int
    let volume: Int
    let port = 18082
    let slug = "bench-volume"

    func run(_ report: Report) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let clients = max(2, connections / 4)
        report.line(
            "\nCase page and search at national volume (\(volume) applications and badges in one council; wrk -c\(clients), \(seconds) s each, \(rounds) rounds)"
        )
        let scope = TenantScope(try Slug.bench(slug))
        if try await !exists(scope) {
            try await fleet.onboard(slug)
            let start = ContinuousClock.now
            try await seed(scope)
            report.line(
                String(format: "  seeded %d applicants, applications and badges in %.1f s", volume, (ContinuousClock.now - start).seconds))
        }
        let deps = try await WebDependencies.live(
            config, vault: try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment), readWorkers: 1, metrics: nil,
            logger: logger)
        let app = try await buildApplication(WebConfig(host: "127.0.0.1", port: port), deps, logger: logger)
        try await Tools.serving(app) {
            try await Tools.waitUntilServing("http://127.0.0.1:\(port)/healthz")
            let token = try await BenchOfficer.signedIn(scope, name: "Casey Officer", deps: deps, admin: admin, logger: logger).session
            let base = "http://127.0.0.1:\(port)/t/\(slug)"
            let scripts = try [
                (
                    "case page",
                    script(
                        "case", token: token, paths: (0..<500).map { _ in "/t/\(slug)/cases/" + Self.reference(Int.random(in: 1...volume)) }
                    )
                ),
                (
                    "search",
                    script(
                        "search", token: token,
                        paths: Self.misspelt.map { "/t/\(slug)/cases?q=" + $0.replacingOccurrences(of: " ", with: "+") })
                ),
                (
                    "badge search",
                    script(
                        "badge", token: token,
                        paths: (0..<200).map { _ in "/t/\(slug)/cases?q=" + Self.badgeNumber(Int.random(in: 1...volume)) })
                ),
            ]
            defer { for (_, path) in scripts { try? FileManager.default.removeItem(atPath: path) } }
            for (_, path) in scripts { _ = try await Tools.wrk(url: base + "/", seconds: 1, connections: clients, script: path) }
            var samples: [String: [Tools.WrkResult]] = [:]
            for round in 1...rounds {
                var line = "  round \(round):"
                let single = try await Tools.wrk(url: base + "/api/v1/profile", seconds: seconds, connections: clients)
                samples["single", default: []].append(single)
                line += String(format: " single read %.0f rps p50 %.2f p99 %.2f ms", single.requestsPerSecond, single.p50, single.p99)
                for (name, path) in scripts {
                    let result = try await Tools.wrk(url: base + "/", seconds: seconds, connections: clients, script: path)
                    samples[name, default: []].append(result)
                    line += String(
                        format: " | %@ %.0f rps p50 %.2f p99 %.2f ms%@", name, result.requestsPerSecond, result.p50, result.p99,
                        result.errors > 0 ? " (\(result.errors) non-2xx!)" : "")
                }
                report.line(line)
            }
            for name in ["single", "case page", "search", "badge search"] {
                let runs = samples[name] ?? []
                report.line(
                    String(
                        format: "  %@: median %.0f rps, p50 %.2f ms, p99 %.2f ms", name == "single" ? "single read (baseline)" : name,
                        Stats.median(runs.map(\.requestsPerSecond)), Stats.median(runs.map(\.p50)), Stats.median(runs.map(\.p99))))
            }
        }
    }

    static let misspelt = [
        "jon smyth", "margret jones", "willaim taylor", "sara brown", "patrica wilson", "mohamed kahn", "aisha patel", "davd evans",
    ]
    static let first = [
        "John", "Margaret", "William", "Sarah", "Patricia", "Mohammed", "Aisha", "David", "Susan", "Peter", "Fatima", "Gareth", "Eileen",
        "Ravi", "Joan", "Kwame",
    ]
    static let last = [
        "Smith", "Jones", "Taylor", "Brown", "Wilson", "Khan", "Patel", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Green",
        "Hall", "Clarke", "Lewis", "Okafor", "Murphy", "Campbell",
    ]

    static func reference(_ i: Int) -> String { String(format: "BB-2025-%06d", i) }

    /// The national format: 63,999,999 − i in base 20 (0-9, A-H, J, K).
    static func badgeNumber(_ i: Int) -> String {
        let digits = Array("0123456789ABCDEFGHJK")
        var n = 63_999_999 - i
        var out: [Character] = []
        for _ in 0..<6 {
            out.append(digits[n % 20])
            n /= 20
        }
        return String(out.reversed())
    }

    private func exists(_ scope: TenantScope) async throws -> Bool {
        try await admin.session { s in
            try s.query("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [scope.schema])[0][0] == "1"
        }
    }

    /// Bulk data in the council's schema, as its request role: realistic names (so trigram search has
    /// work to do), postcodes, a spread of statuses, decisions and badges in the national format.
    private func seed(_ scope: TenantScope) async throws {
        let firsts = "{" + Self.first.joined(separator: ",") + "}"
        let lasts = "{" + Self.last.joined(separator: ",") + "}"
        try await admin.transaction { s in
            try s.enterTenant(scope)
            try s.query(
                """
                INSERT INTO people (id, full_name, date_of_birth, address_line1, town, postcode)
                SELECT md5('p' || i)::uuid,
                    ($2::text[])[1 + (i * 7) % array_length($2::text[], 1)] || ' ' || ($3::text[])[1 + (i * 13) % array_length($3::text[], 1)]
                        || CASE WHEN i % 3 = 0 THEN '-' || ($3::text[])[1 + (i * 5) % array_length($3::text[], 1)] ELSE '' END,
                    date '1930-01-01' + (i * 37) % 30000, (i % 200) || ' High Street', 'Bench Town',
                    'B' || (1 + i % 99) || ' ' || (i % 10) || chr(65 + i % 26) || chr(65 + (i / 26) % 26)
                FROM generate_series(1, $1::int) i
                """, [String(volume), firsts, lasts])
            try s.query(
                """
                INSERT INTO applications (id, reference, person_id, kind, channel, eligibility, status, received_at, decided_at, created_at)
                SELECT md5('a' || i)::uuid, 'BB-2025-' || lpad(i::text, 6, '0'), md5('p' || i)::uuid,
                    (ARRAY['NEW', 'RENEW'])[1 + i % 2], (ARRAY['ONLINE', 'PAPER', 'PHONE'])[1 + i % 3],
                    (ARRAY['PIP', 'DLA', 'WALKD', 'BLIND', 'ARMS'])[1 + i % 5],
                    CASE WHEN i % 20 = 0 THEN 'RECEIVED' WHEN i % 20 = 1 THEN 'ASSESSED' WHEN i % 20 = 2 THEN 'REFUSED' ELSE 'APPROVED' END,
                    now() - ((i % 1000) || ' days')::interval,
                    CASE WHEN i % 20 IN (0, 1) THEN NULL ELSE now() - ((i % 1000) || ' days')::interval + interval '20 days' END,
                    now() - ((i % 1000) || ' days')::interval
                FROM generate_series(1, $1::int) i
                """, [String(volume)])
            try s.query(
                """
                INSERT INTO badges (badge_number, application_id, person_id, eligibility, start_date, expiry_date, deliver_to, status, ordered_at)
                SELECT string_agg(substr('0123456789ABCDEFGHJK', ((63999999 - i) / (20 ^ k)::int) % 20 + 1, 1), '' ORDER BY k DESC),
                    md5('a' || i)::uuid, md5('p' || i)::uuid, (ARRAY['PIP', 'DLA', 'WALKD', 'BLIND', 'ARMS'])[1 + i % 5],
                    (now() - ((i % 1000) || ' days')::interval + interval '21 days')::date,
                    (now() - ((i % 1000) || ' days')::interval + interval '21 days' + interval '3 years')::date,
                    'HOME', 'ISSUED', now() - ((i % 1000) || ' days')::interval + interval '21 days'
                FROM generate_series(1, $1::int) i, generate_series(0, 5) k
                WHERE i % 20 NOT IN (0, 1, 2)
                GROUP BY i
                """, [String(volume)])
            try s.enterTenantAsOwner(scope)
            try s.query("ANALYZE")  // as the council's owner: its own tables only
            try s.leaveTenant()
        }
    }

    /// A wrk script sending the session cookie and walking `paths` at random.
    private func script(_ name: String, token: String, paths: [String]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-\(name)-\(getpid()).lua").path
        let list = paths.map { "\"\($0)\"" }.joined(separator: ",")
        try """
        local paths = {\(list)}
        wrk.headers["Cookie"] = "kerb_session=\(token)"
        request = function() return wrk.format("GET", paths[math.random(#paths)]) end
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}
