import Casework
import Communications
import ContractFakes
import Documents
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import Notify
import Policy
import Storage
import Tenancy
import Web

/// Bulk mail: rendering and writing 10,000 renewal invitations to the outbox through the use
/// case a bulk send runs (selection query, personalisation, Notify-syntax rendering, batched
/// insert with the once-per-person index), next to one plain INSERT of 10,000 rows of the same
/// size; then dispatching them all through the Notify fake over HTTP (claim, send 8 at once,
/// record), next to the same client sending 2,000 directly (no outbox). Target: the 10,000
/// under 10 s.
struct MessagesBench {
    let config: DatabaseConfig
    let fleet: Fleet
    let admin: AdminDatabase
    let letters = 10_000
    let dispatched = 2_000

    func run(_ report: Report) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        report.line("\nMessages (one new council; use cases in process; Notify fake over HTTP on 127.0.0.1)")
        let slug = String(format: "bench-msg-%05d", try await fleet.count())
        try await fleet.onboard(slug)
        let scope = TenantScope(try Slug.bench(slug))
        let vault = try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment)
        let deps = try await WebDependencies.live(config, vault: vault, readWorkers: 1, metrics: nil, logger: logger)
        let fake = GovUKNotifyFake(ratePerMinute: 1_000_000, dailyLimit: 1_000_000)
        let port = try await fake.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await deps.database.pool.run() }
            defer { group.cancelAll() }
            let database = deps.identity.database
            try await SyntheticHolders.insert(database, scope, count: letters, emailEvery: 3, logger: logger)
            let system = try await SystemActor.actor(database, scope, logger: logger)
            let officer = Actor(
                officer: system.officer,
                principal: Principal(userID: system.officer.id, groups: [AccessGroup(name: "Bench", permissions: [.sendCommunications])]))

            let plain = try await Tools.seconds {
                try await database.transaction(scope, logger: logger) { conn in
                    _ = try await conn.query(
                        """
                        INSERT INTO messages (application_id, person_id, kind, channel, subject, body, addressee, recipient, state)
                        SELECT a.id, a.person_id, 'renewal-invitation', 'letter', 'Your Blue Badge expires', repeat('x', 700),
                            'Holder', 'Holder\n1 Example Street\nLondon\nSW1A 1AA', 'cancelled'
                        FROM applications a LIMIT \(letters)
                        """, logger: logger)
                    _ = try await conn.query("DELETE FROM messages WHERE state = 'cancelled'", logger: logger)
                }
            }
            let bulk = try await Tools.seconds {
                _ = try await deps.bulkMail.start(scope, .expiringBadges, as: officer, logger: logger)
                while try await deps.bulkMail.continue(scope, batch: 1_000, logger: logger) > 0 {}
            }
            let written = try await deps.bulkMail.sends(scope, logger: logger).first?.written ?? 0
            report.line(
                String(
                    format:
                        "  render + enqueue %d letters and emails: %.2f s (%.0f/s)   plain INSERT of as many rows: %.2f s   ratio %.1fx   (target < 10 s)",
                    written, bulk, Double(written) / bulk, plain, bulk / plain))

            let key = fake.addService(name: "Bench")
            let service = NotifyService(
                key: key,
                templates: [
                    .email: fake.addTemplate(service: key.serviceID, name: "e", type: .email, subject: "((subject))", body: "((body))"),
                    .letter: fake.addTemplate(service: key.serviceID, name: "l", type: .letter, subject: "((subject))", body: "((body))"),
                    .sms: fake.addTemplate(service: key.serviceID, name: "s", type: .sms, body: "((body))"),
                ])
            let client = GovUKNotifyClient(baseURL: "http://127.0.0.1:\(port)")
            var dispatcher = Dispatcher(database: database, client: client, pace: SendPace(perMinute: 1_000_000))
            dispatcher.batch = 250
            var sent = 0
            let dispatch = try await Tools.seconds {
                while sent < dispatched {
                    let report = try await dispatcher.dispatch(scope, service: service, logger: logger)
                    guard report.claimed > 0 else { break }
                    sent += report.sent
                    if sent >= dispatched { break }
                }
            }
            let direct = try await Tools.seconds {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for worker in 0..<8 {
                        sends.addTask {
                            for index in stride(from: worker, to: dispatched, by: 8) {
                                _ = try await client.send(
                                    .init(
                                        recipient: .email("holder\(index)@example.com"), templateID: service.templates[.email] ?? UUID(),
                                        personalisation: [
                                            "subject": .text("Your Blue Badge"), "body": .text(String(repeating: "x", count: 700)),
                                        ],
                                        reference: "direct-\(index)"), key: key)
                            }
                        }
                    }
                    try await sends.waitForAll()
                }
            }
            report.line(
                String(
                    format:
                        "  dispatch through the outbox: %d in %.2f s (%.0f/s)   the client alone, 8 at once: %.0f/s   ratio %.2fx   %.0fx Notify's rate limit (3,000 a minute)",
                    sent, dispatch, Double(sent) / dispatch, Double(dispatched) / direct,
                    (Double(sent) / dispatch) / (Double(dispatched) / direct), (Double(sent) / dispatch) / 50))
        }
        await fake.stop()
    }

}
