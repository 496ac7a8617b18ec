import ContractFakes
import Foundation
import KerbCore
import Notify
import Testing

/// Kerb's GOV.UK Notify client against the contract fake, over real HTTP on 127.0.0.1, and the
/// fake against Notify's own Python client.
@Suite struct GovUKNotifyTests {
    struct World {
        var fake: GovUKNotifyFake
        var client: GovUKNotifyClient
        var key: NotifyAPIKey
        var email: UUID
        var sms: UUID
        var letter: UUID
        var base: String
    }

    /// A started fake with one service holding a carrier template of each kind (Kerb renders the
    /// text itself and passes it as `body`; the email adds conditional text to prove `??`).
    static func withFake(
        statusStep: TimeInterval = 1, clock: @escaping @Sendable () -> Date = { Date() }, _ body: (World) async throws -> Void
    ) async throws {
        let fake = GovUKNotifyFake(statusStep: statusStep, clock: clock)
        let port = try await fake.start()
        let key = fake.addService(name: "Westminster Blue Badge")
        let email = fake.addTemplate(
            service: key.serviceID, name: "Kerb email", type: .email, subject: "((subject))",
            body: "((body))((urgent??\n\nPlease reply soon.))")
        let sms = fake.addTemplate(service: key.serviceID, name: "Kerb text", type: .sms, body: "((body))")
        let letter = fake.addTemplate(service: key.serviceID, name: "Kerb letter", type: .letter, subject: "((subject))", body: "((body))")
        let base = "http://127.0.0.1:\(port)"
        let result: Result<Void, any Error>
        do {
            try await body(
                World(
                    fake: fake, client: GovUKNotifyClient(baseURL: base, clock: clock), key: key, email: email, sms: sms, letter: letter,
                    base: base))
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await fake.stop()
        try result.get()
    }

    @Test func sendsEachKindAndReadsItBack() async throws {
        let time = ManualTime(Date())
        try await Self.withFake(statusStep: 60, clock: { time.clock.now() }) { world in
            let email = try await world.client.send(
                .init(
                    recipient: .email("ada@example.com"), templateID: world.email,
                    personalisation: ["subject": .text("Your application"), "body": .text("Dear Ada"), "urgent": .flag(true)],
                    reference: "m-1"), key: world.key)
            let sms = try await world.client.send(
                .init(
                    recipient: .phone("+44 7700 900123"), templateID: world.sms, personalisation: ["body": .text("Hello")], reference: "m-2"
                ),
                key: world.key)
            let address = try PostalAddress(lines: ["Ada Lovelace", "12 Park Lane", "", "London", "w1k1aa"])
            #expect(address.lines == ["Ada Lovelace", "12 Park Lane", "London", "W1K 1AA"])
            let letter = try await world.client.send(
                .init(
                    recipient: .address(address), templateID: world.letter, personalisation: ["subject": .text("S"), "body": .text("B")],
                    reference: "m-3"),
                key: world.key)
            #expect(email.reference == "m-1" && email.template.id == world.email && email.template.version == 1)
            let stored = world.fake.notifications
            #expect(stored.map(\.reference) == ["m-1", "m-2", "m-3"])
            #expect(stored[0].body == "Dear Ada\n\nPlease reply soon." && stored[0].subject == "Your application")
            #expect(stored[1].recipient == "07700900123")
            #expect(stored[2].recipient == "Ada Lovelace\n12 Park Lane\nLondon\nW1K 1AA")

            #expect(try await world.client.notification(email.id, key: world.key).status == "created")
            time.advance(by: 60)
            #expect(try await world.client.notification(email.id, key: world.key).status == "sending")
            time.advance(by: 60)
            let read = try await world.client.notification(sms.id, key: world.key)
            #expect(read.status == "delivered" && read.outcome == .delivered && read.reference == "m-2")
            #expect(try await world.client.notification(letter.id, key: world.key).status == "received")
            #expect(try await world.client.notifications(reference: "m-2", key: world.key).map(\.id) == [sms.id])
            #expect(try await world.client.notifications(reference: "nothing", key: world.key).isEmpty)
            let template = try await world.client.template(world.sms, key: world.key)
            #expect(template.body == "((body))" && template.type == "sms")
        }
    }

    @Test func simulatedRecipientsFailAsNotifyReportsThem() async throws {
        try await Self.withFake(statusStep: 0.05) { world in
            let permanent = try await world.client.send(
                .init(
                    recipient: .email("perm-fail@simulator.notify"), templateID: world.email,
                    personalisation: ["subject": .text("S"), "body": .text("B"), "urgent": .text("no")], reference: "p"), key: world.key)
            let temporary = try await world.client.send(
                .init(recipient: .phone("07700900003"), templateID: world.sms, personalisation: ["body": .text("B")], reference: "t"),
                key: world.key)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await world.client.notification(permanent.id, key: world.key).status == "permanent-failure")
            let read = try await world.client.notification(temporary.id, key: world.key)
            #expect(read.status == "temporary-failure" && read.outcome == .failed)
        }
    }

    /// Notify's refusals arrive as the error the dispatcher acts on: give up, or try again later.
    @Test func refusalsMapToGiveUpOrRetry() async throws {
        try await Self.withFake { world in
            let good = GovUKNotifyClient.Message(
                recipient: .phone("07700900123"), templateID: world.sms, personalisation: ["body": .text("B")], reference: "r")
            var missing = good
            missing.personalisation = [:]
            await #expect(throws: NotifyError.rejected("BadRequestError: Missing personalisation: body")) {
                try await world.client.send(missing, key: world.key)
            }
            var landline = good
            landline.recipient = .phone("01632 960 001")
            await #expect(throws: NotifyError.rejected("ValidationError: phone_number Not a UK mobile number")) {
                try await world.client.send(landline, key: world.key)
            }
            var wrongKind = good
            wrongKind.templateID = world.email
            await #expect(throws: NotifyError.rejected("BadRequestError: email template is not suitable for sms notification")) {
                try await world.client.send(wrongKind, key: world.key)
            }
            world.fake.failNext(1, status: 429)
            world.fake.failNext(1, status: 503)
            for expected in ["rateLimited", "unavailable"] {
                do {
                    _ = try await world.client.send(good, key: world.key)
                    Issue.record("the injected failure was not reported")
                } catch let error as NotifyError {
                    #expect(error.isRetryable)
                    switch error {
                    case .rateLimited: #expect(expected == "rateLimited")
                    case .unavailable: #expect(expected == "unavailable")
                    default: Issue.record("expected \(expected), got \(error)")
                    }
                }
            }
            _ = try await world.client.send(good, key: world.key)
            #expect(world.fake.notifications.count == 1)
            await #expect(throws: NotifyError.notFound) { try await world.client.notification(UUID(), key: world.key) }
            // Nothing listens there: unavailable, to be retried.
            let nowhere = GovUKNotifyClient(baseURL: "http://127.0.0.1:9", timeout: .seconds(2))
            await #expect(throws: NotifyError.unavailable("the connection failed")) { try await nowhere.send(good, key: world.key) }
        }
    }

    /// The token: another service's secret, an unknown service and a clock more than 30 seconds
    /// out are each refused as Notify refuses them, and nothing is sent.
    @Test func tokensAreCheckedAsNotifyChecksThem() async throws {
        try await Self.withFake { world in
            let message = GovUKNotifyClient.Message(
                recipient: .phone("07700900123"), templateID: world.sms, personalisation: ["body": .text("B")], reference: "k")
            let forged = try #require(NotifyAPIKey("kerb-\(world.key.serviceID)-\(UUID().uuidString.lowercased())"))
            await #expect(throws: NotifyError.unauthorised("AuthError: Invalid token: API key not found")) {
                try await world.client.send(message, key: forged)
            }
            await #expect(throws: NotifyError.unauthorised("AuthError: Invalid token: service not found")) {
                try await world.client.send(message, key: NotifyAPIKey.make(name: "kerb"))
            }
            let late = GovUKNotifyClient(baseURL: world.base, clock: { Date().addingTimeInterval(-31) })
            await #expect(throws: NotifyError.unauthorised("AuthError: Error: Your system clock must be accurate to within 30 seconds")) {
                try await late.send(message, key: world.key)
            }
            let slightlyOff = GovUKNotifyClient(baseURL: world.base, clock: { Date().addingTimeInterval(-20) })
            _ = try await slightlyOff.send(message, key: world.key)
            #expect(world.fake.notifications.count == 1)
        }
    }

    /// Notify's limits: 3,000 requests a minute per service (here 5, to keep the test short),
    /// answered 429 RateLimitError, and a daily message limit, 429 TooManyRequestsError.
    @Test func rateAndDailyLimitsAnswer429() async throws {
        let fake = GovUKNotifyFake(ratePerMinute: 5, dailyLimit: 7)
        let port = try await fake.start()
        defer { Task { await fake.stop() } }
        let key = fake.addService(name: "Cardiff")
        let sms = fake.addTemplate(service: key.serviceID, name: "text", type: .sms, body: "((body))")
        let client = GovUKNotifyClient(baseURL: "http://127.0.0.1:\(port)")
        let message = GovUKNotifyClient.Message(
            recipient: .phone("07700900123"), templateID: sms, personalisation: ["body": .text("B")], reference: "x")
        for _ in 0..<5 { _ = try await client.send(message, key: key) }
        await #expect(throws: NotifyError.rateLimited("RateLimitError: Exceeded rate limit for key type LIVE of 5 requests per 60 seconds"))
        {
            try await client.send(message, key: key)
        }
        #expect(fake.notifications.count == 5)
        await fake.stop()

        let daily = GovUKNotifyFake(ratePerMinute: 100, dailyLimit: 3)
        let dailyPort = try await daily.start()
        let dailyKey = daily.addService(name: "Devon")
        var capped = message
        capped.templateID = daily.addTemplate(service: dailyKey.serviceID, name: "text", type: .sms, body: "((body))")
        let dailyClient = GovUKNotifyClient(baseURL: "http://127.0.0.1:\(dailyPort)")
        for _ in 0..<3 { _ = try await dailyClient.send(capped, key: dailyKey) }
        await #expect(throws: NotifyError.rateLimited("TooManyRequestsError: Exceeded send limits (3) for today")) {
            try await dailyClient.send(capped, key: dailyKey)
        }
        await daily.stop()
    }

    /// GOV.UK Notify's own Python client against the fake: every call Kerb relies on, and the
    /// refusals, answered in a form the real client takes.
    @Test func notifyPythonClientPassesAgainstTheFake() async throws {
        let python = ProcessInfo.processInfo.environment["KERB_CONTRACT_PYTHON"] ?? ""
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "KERB_CONTRACT_PYTHON is not set: run through infra/test, which installs notifications-python-client")
        try await Self.withFake { world in
            let script = Schemathesis.repositoryRoot.appendingPathComponent("Tests/Contracts/notify_client_check.py").path
            let wrongKey = "kerb-\(world.key.serviceID)-\(UUID().uuidString.lowercased())"
            let outcome = try await ContractProcess.run(
                python,
                [
                    script, world.base, world.key.text, world.email.uuidString.lowercased(), world.sms.uuidString.lowercased(),
                    world.letter.uuidString.lowercased(), wrongKey,
                ],
                secrets: [], timeLimit: .seconds(120))
            #expect(outcome.status == 0, "\(outcome.output)")
            let line = try #require(outcome.output.split(separator: "\n").last { $0.hasPrefix("{") })
            let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            let accepted = world.fake.notifications
            #expect(accepted.map(\.reference) == ["kerb-email-1", "kerb-sms-1", "kerb-letter-1"])
            #expect(seen["email"] == accepted.first?.id.uuidString.lowercased())
            #expect(seen["missing"] == "Missing personalisation: subject, urgent")
        }
    }
}
