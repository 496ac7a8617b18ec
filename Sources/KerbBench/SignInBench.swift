import Audit
import Documents
import Foundation
import Hummingbird
import Identity
import KerbCore
import Logging
import Storage
import Tenancy
import Web

/// Sign-in throughput with Argon2id at OWASP parameters, and what a burst of sign-ins does to
/// everyone else. Each round measures, with wrk against the real application:
///   reads alone      GET the council's profile API (a tenant-routed read)
///   sign-ins alone   POST the sign-in form with a correct password (full Argon2id verify + session)
///   both at once     the same two loads overlapping: reads during a sign-in burst
/// Hashing runs on its own thread pool, so the burst queues there and not on the event loops.
struct SignInBench {
    let config: DatabaseConfig
    let seconds: Int
    let connections: Int
    let rounds: Int
    let port = 18081
    let slug = "rutland"

    func run(_ report: Report) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let deps = try await WebDependencies.live(
            config, vault: try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment), readWorkers: 1, metrics: nil,
            logger: logger)
        let signInConnections = max(2, connections / 4)
        report.line(
            "\nSign-in burst (Argon2id m=19456 KiB t=2 p=1 on \(WebDependencies.hashingThreads) hashing thread(s) at nice \(PasswordHasher.niceness); wrk -c\(signInConnections) POST /sign-in with reads at -c\(connections), \(seconds) s each, \(rounds) rounds)"
        )
        let app = try await buildApplication(WebConfig(host: "127.0.0.1", port: port), deps, logger: logger)
        try await Tools.serving(app) {
            try await Tools.waitUntilServing(url("/healthz"))  // the database pool runs with the app
            let scope = TenantScope(try Slug.bench(slug))
            let email = "kim.reader.\(UUID().uuidString.prefix(8).lowercased())@rutland.example"
            let password = "lamp-orbit-velvet-42"
            let (_, token) = try await deps.identity.users.invite(
                scope, fullName: "Kim Reader", email: email, groupIDs: [], needsApproval: false,
                by: AuditEvent(actorID: nil, actor: "kerb-bench", action: ""), now: Date(),
                link: { "https://kerb.example/setup?token=\($0.token)" }, logger: logger)
            _ = try await deps.identity.accounts.completeSetup(scope, token: token.token, password: password, now: Date(), logger: logger)

            // A browser's form token and the CSRF field derived from it, as the sign-in page would set.
            let formToken = SessionService.newToken()
            let body = "csrf=\(percent(SessionService.csrfToken(for: formToken)))&email=\(percent(email))&password=\(password)"
            let storm = try writeScript(body: body, formToken: formToken, delayMs: nil, name: "storm")
            let burst = try writeScript(body: body, formToken: formToken, delayMs: 500, name: "burst")
            // Reads paced like real use (each client every 15 ms, about 2,000 a second): below
            // saturation, so any effect of sign-ins shows as latency, not as lost throughput.
            let paced = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-paced-\(getpid()).lua").path
            try "function delay() return 15 end\n".write(toFile: paced, atomically: true, encoding: .utf8)
            defer { for file in [storm, burst, paced] { try? FileManager.default.removeItem(atPath: file) } }

            let reads = url("/t/\(slug)/api/v1/profile")
            let signIn = url("/t/\(slug)/sign-in")
            _ = try await Tools.wrk(url: reads, seconds: 2, connections: connections)
            _ = try await Tools.wrk(url: signIn, seconds: 2, connections: signInConnections, script: storm)
            // storm: sign-ins flat out from `signInConnections` clients; burst: 4 people
            // signing in every half second each (a whole council's staff within a minute).
            var samples: [String: [Tools.WrkResult]] = [:]
            for round in 1...rounds {
                let readsAlone = try await Tools.wrk(url: reads, seconds: seconds, connections: connections)
                let stormAlone = try await Tools.wrk(url: signIn, seconds: seconds, connections: signInConnections, script: storm)
                var line = String(
                    format: "  round %d: reads alone %.0f rps p99 %.2f ms | sign-ins alone %.0f/s", round, readsAlone.requestsPerSecond,
                    readsAlone.p99, stormAlone.requestsPerSecond)
                samples["reads", default: []].append(readsAlone)
                samples["signins", default: []].append(stormAlone)
                for (name, script, clients) in [("burst", burst, 4), ("storm", storm, signInConnections)] {
                    let load = try Tools.startWrk(url: signIn, seconds: seconds, connections: clients, script: script)
                    let readsDuring = try await Tools.wrk(url: reads, seconds: seconds, connections: connections)
                    let signIns = try await load.finish()
                    samples["reads-\(name)", default: []].append(readsDuring)
                    samples["signins-\(name)", default: []].append(signIns)
                    line += String(
                        format: " | %@: %.0f sign-ins/s, reads %.0f rps p99 %.2f ms, failed %d", name, signIns.requestsPerSecond,
                        readsDuring.requestsPerSecond, readsDuring.p99, signIns.errors)
                }
                let pacedAlone = try await Tools.wrk(url: reads, seconds: seconds, connections: connections, script: paced)
                let load = try Tools.startWrk(url: signIn, seconds: seconds, connections: 4, script: burst)
                let pacedDuring = try await Tools.wrk(url: reads, seconds: seconds, connections: connections, script: paced)
                _ = try await load.finish()
                samples["paced", default: []].append(pacedAlone)
                samples["paced-burst", default: []].append(pacedDuring)
                line += String(
                    format: " | paced reads %.0f rps p50 %.2f p99 %.2f ms, during burst %.0f rps p50 %.2f p99 %.2f ms",
                    pacedAlone.requestsPerSecond, pacedAlone.p50, pacedAlone.p99, pacedDuring.requestsPerSecond, pacedDuring.p50,
                    pacedDuring.p99)
                report.line(line)
            }
            let alone = samples["reads"] ?? []
            report.line(
                String(
                    format: "  sign-ins alone: median %.0f/s (p50 %.0f ms, p99 %.0f ms)",
                    Stats.median((samples["signins"] ?? []).map(\.requestsPerSecond)), Stats.median((samples["signins"] ?? []).map(\.p50)),
                    Stats.median((samples["signins"] ?? []).map(\.p99))))
            for name in ["burst", "storm"] {
                let during = samples["reads-\(name)"] ?? []
                let ratio = zip(during, alone).map { $0.requestsPerSecond / $1.requestsPerSecond }
                report.line(
                    String(
                        format:
                            "  reads during a sign-in %@ (%.0f sign-ins/s): %.2fx of reads alone (median of per-round ratios), p99 %.2f ms vs %.2f ms alone",
                        name, Stats.median((samples["signins-\(name)"] ?? []).map(\.requestsPerSecond)), Stats.median(ratio),
                        Stats.median(during.map(\.p99)), Stats.median(alone.map(\.p99))))
            }
            let pacedAlone = samples["paced"] ?? []
            let pacedBurst = samples["paced-burst"] ?? []
            report.line(
                String(
                    format:
                        "  paced reads (~2,000/s, below saturation): %.0f rps p50 %.2f ms p99 %.2f ms alone; %.0f rps p50 %.2f ms p99 %.2f ms during a burst",
                    Stats.median(pacedAlone.map(\.requestsPerSecond)), Stats.median(pacedAlone.map(\.p50)),
                    Stats.median(pacedAlone.map(\.p99)),
                    Stats.median(pacedBurst.map(\.requestsPerSecond)), Stats.median(pacedBurst.map(\.p50)),
                    Stats.median(pacedBurst.map(\.p99))))
        }
    }

    /// A wrk Lua script posting the sign-in form; `delayMs` paces each client like a person.
    private func writeScript(body: String, formToken: String, delayMs: Int?, name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-signin-\(name)-\(getpid()).lua").path
        try """
        wrk.method = "POST"
        wrk.body = "\(body)"
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.headers["Cookie"] = "kerb_form=\(formToken)"
        \(delayMs.map { "function delay() return \($0) end" } ?? "")
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func percent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? text
    }

    private func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

}
