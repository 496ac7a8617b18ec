import Audit
import Casework
import ContractFakes
import Foundation
import Identity
import KerbCore
import KerbTestSupport
import Logging
import Notify
import Policy
import PostgresNIO
import Storage
import Testing

@testable import Communications

/// Issue 12, item 4: a message is written to the outbox in the same transaction as the step that
/// causes it, and the dispatcher sends it through GOV.UK Notify (the contract fake, over HTTP)
/// exactly once, whatever crashes, 429s and 5xx come in between.
@Suite struct OutboxTests {
    static let logger = Logger(label: "test")

    struct World {
        let cases: CaseService
        let database: TenantDatabase
        let scope: TenantScope
        let officer: Officer
        let time: ManualTime
        let fake: GovUKNotifyFake
        let service: NotifyService
        let client: GovUKNotifyClient

        func dispatcher() -> Dispatcher { Dispatcher(database: database, client: client, clock: time.clock) }

        /// Takes in a case for a new applicant (which writes the acknowledgement) and returns its reference.
        func takeIn(_ name: String, email: String = "", phone: String = "", preferred: String = "letter") async throws -> String {
            let person = PersonDetails(
                fullName: name, dateOfBirth: Date(timeIntervalSince1970: -400_000_000), addressLine1: "1 Example Street", town: "London",
                postcode: "SW1A 1AA", email: email, phone: phone, preferredChannel: preferred)
            defer { time.advance(by: 1) }  // so the outbox's order is the order taken in
            return try await cases.takeIn(
                scope, person, confirmedNew: true, .init(personID: UUID(), kind: .new, channel: .paper, eligibility: .walking),
                as: .caseworker(officer), logger: OutboxTests.logger)
        }

        struct Message: Equatable {
            let kind: String
            let channel: String
            let state: String
            let recipient: String
            let attempts: Int
        }

        func messages() async throws -> [Message] {
            try await database.transaction(scope, logger: OutboxTests.logger) { conn in
                var rows: [Message] = []
                for try await (kind, channel, state, recipient, attempts) in try await conn.query(
                    "SELECT kind, channel, state, recipient, attempts FROM messages ORDER BY created_at, id", logger: OutboxTests.logger
                ).decode((String, String, String, String, Int).self) {
                    rows.append(Message(kind: kind, channel: channel, state: state, recipient: recipient, attempts: attempts))
                }
                return rows
            }
        }
    }

    /// A council with an officer, a service on a clock the test moves, and a Notify fake (on the
    /// same clock, so claims lapse and statuses move when the test says) with the council's service.
    func withWorld(_ body: (World) async throws -> Void) async throws {
        let time = ManualTime(Date())
        let fake = GovUKNotifyFake(statusStep: 60, clock: { time.clock.now() })
        let port = try await fake.start()
        let key = fake.addService(name: "Test council")
        let service = NotifyService(
            key: key,
            templates: [
                .email: fake.addTemplate(service: key.serviceID, name: "email", type: .email, subject: "((subject))", body: "((body))"),
                .sms: fake.addTemplate(service: key.serviceID, name: "sms", type: .sms, body: "((body))"),
                .letter: fake.addTemplate(service: key.serviceID, name: "letter", type: .letter, subject: "((subject))", body: "((body))"),
            ])
        let notify = GovUKNotifyClient(baseURL: "http://127.0.0.1:\(port)", timeout: .seconds(5), clock: { time.clock.now() })
        do {
            try await TestDatabase.withAppDatabase(connections: 4) { database in
                let tenant = try await TestDatabase.onboardTestTenant().tenant
                let staff = try await TestDatabase.councilStaff(tenant.scope)
                let cases = CaseService(database: database, outbox: try Outbox.bundled(), clock: time.clock)
                try await body(
                    World(
                        cases: cases, database: database, scope: tenant.scope, officer: Officer(id: staff.first, name: "Alex Morgan"),
                        time: time, fake: fake, service: service, client: notify))
            }
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    @Test func theStepWritesItsMessageByThePreferredChannelWithTheFallback() async throws {
        try await withWorld { world in
            _ = try await world.takeIn("Ada Byfield", email: "ada@example.com", preferred: "email")
            _ = try await world.takeIn("Bea Carver", phone: "07700 900123", preferred: "sms")
            _ = try await world.takeIn("Cyril Dane", email: "cyril@example.com")  // prefers letters
            let messages = try await world.messages()
            #expect(messages.map(\.kind) == ["acknowledgement", "acknowledgement", "acknowledgement"])
            #expect(messages.map(\.channel) == ["email", "sms", "letter"])
            #expect(messages.map(\.state) == ["queued", "queued", "queued"])
            #expect(messages[2].recipient == "Cyril Dane\n1 Example Street\nLondon\nSW1A 1AA")
            #expect(world.fake.notifications.isEmpty)

            // A step refused before it changes anything writes no message.
            await #expect(throws: CaseworkError.self) {
                try await world.cases.requestEvidence(
                    world.scope, reference: "BB-1999-999999", items: ["Proof of address"], as: .caseworker(world.officer),
                    logger: Self.logger)
            }
            #expect(try await world.messages().count == 3)
        }
    }

    /// The preference where the kind may go that way and the details are held; else a letter;
    /// else a letter held for someone to address by hand.
    @Test func theRouteFollowsThePreferenceWithAFallback() {
        let postal = ["1 Example Street", "London", "SW1A 1AA"]
        let emailless = Addressee(name: "Cyril Dane", preferred: .email, postal: postal)
        #expect(emailless.route(for: .acknowledgement).channel == .letter)
        let texter = Addressee(name: "Bea Carver", preferred: .sms, email: "bea@example.com", phone: "07700900123", postal: postal)
        #expect(texter.route(for: .acknowledgement) == .init(channel: .sms, recipient: "07700900123", held: nil))
        // Reasons do not go by text message: a refusal goes by letter.
        #expect(texter.route(for: .refusal).channel == .letter)
        let nowhere = Addressee(name: "Someone Acting", preferred: .letter)
        #expect(nowhere.route(for: .refusal).held?.hasPrefix("Kerb holds no postal address") == true)
    }

    @Test func dispatchSendsEachOnceAndReadsDeliveryBack() async throws {
        try await withWorld { world in
            _ = try await world.takeIn("Ada Byfield", email: "ada@example.com", preferred: "email")
            _ = try await world.takeIn("Perm Fail", email: "perm-fail@simulator.notify", preferred: "email")
            let dispatcher = world.dispatcher()
            let report = try await dispatcher.dispatch(world.scope, service: world.service, logger: Self.logger)
            #expect(report == Dispatcher.Report(sent: 2, found: 0, retrying: 0, failed: 0))
            #expect(try await dispatcher.dispatch(world.scope, service: world.service, logger: Self.logger).claimed == 0)
            let sent = world.fake.notifications
            try #require(sent.count == 2)
            let ada = try #require(sent.first { $0.recipient == "ada@example.com" })
            #expect(ada.subject.hasPrefix("Your Blue Badge application: reference BB-"))
            #expect(ada.body.hasPrefix("Dear Ada Byfield"))
            #expect(try await world.messages().map(\.state) == ["sent", "sent"])

            world.time.advance(by: 180)
            #expect(try await dispatcher.track(world.scope, service: world.service, logger: Self.logger) == 2)
            #expect(try await world.messages().map(\.state) == ["delivered", "failed"])
        }
    }

    /// The process dies after the claim commits and before the send: the claim lapses and the
    /// next dispatcher sends the message, once.
    @Test func aCrashBeforeTheSendNeitherLosesNorRepeats() async throws {
        try await withWorld { world in
            _ = try await world.takeIn("Ada Byfield", email: "ada@example.com", preferred: "email")
            let crashed = world.dispatcher()
            let claimed = try await crashed.claim(world.scope, limit: 10, logger: Self.logger)
            #expect(claimed.count == 1)
            // Another dispatcher while the claim holds finds nothing to do.
            #expect(try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger).claimed == 0)
            world.time.advance(by: 121)
            let report = try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger)
            #expect(report.sent == 1)
            #expect(world.fake.notifications.count == 1)
            #expect(try await world.messages().map(\.attempts) == [2])
        }
    }

    /// The process dies after Notify accepted the message and before the dispatcher recorded
    /// it: the next attempt finds it in Notify by its reference and records it, without a second send.
    @Test func aCrashAfterTheSendIsFoundByReferenceNotSentAgain() async throws {
        try await withWorld { world in
            _ = try await world.takeIn("Ada Byfield", email: "ada@example.com", preferred: "email")
            let crashed = world.dispatcher()
            let claimed = try await crashed.claim(world.scope, limit: 10, logger: Self.logger)
            let outcome = try #require(claimed.first.map { message in { await crashed.send(message, world.service, Self.logger) } })
            guard case .sent(let notifyID) = await outcome() else {
                Issue.record("the first send did not reach Notify")
                return
            }
            world.time.advance(by: 121)
            let report = try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger)
            #expect(report == Dispatcher.Report(sent: 0, found: 1, retrying: 0, failed: 0))
            #expect(world.fake.notifications.map(\.id) == [notifyID])
            #expect(try await world.messages().map(\.state) == ["sent"])
            // The crashed dispatcher coming back to record its outcome changes nothing (its claim is gone).
            try await crashed.record(world.scope, [(claimed[0], .fail("late"))], logger: Self.logger)
            #expect(try await world.messages().map(\.state) == ["sent"])
        }
    }

    /// Notify answers 429 and 503 to a run of sends: every message is retried with backoff and
    /// sent exactly once in the end; two dispatchers at once never send one message twice.
    @Test func theDispatcherRidesOutA429And5xxStorm() async throws {
        try await withWorld { world in
            for index in 0..<12 { _ = try await world.takeIn("Person \(index) Smith", email: "p\(index)@example.com", preferred: "email") }
            world.fake.failNext(10, status: 503)
            world.fake.failNext(10, status: 429)
            world.fake.failNext(4, status: 500)
            var rounds = 0
            while world.fake.notifications.count < 12 && rounds < 30 {
                async let first = world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger)
                async let second = world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger)
                _ = try await (first, second)
                world.time.advance(by: 3_700)
                rounds += 1
            }
            let references = world.fake.notifications.compactMap(\.reference)
            #expect(references.count == 12 && Set(references).count == 12)
            #expect(try await world.messages().allSatisfy { $0.state == "sent" })
            #expect(try await world.messages().map(\.attempts).max() ?? 0 > 1)
        }
    }

    /// A message Notify will never take (a 400) is failed at once with the reason, for someone to act on.
    @Test func aRefusedMessageFailsWithNotifysReason() async throws {
        try await withWorld { world in
            _ = try await world.takeIn("Bea Carver", phone: "01632 960001", preferred: "sms")  // a landline
            let report = try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger)
            #expect(report.failed == 1)
            let reason = try await world.database.transaction(world.scope, logger: Self.logger) { conn in
                try await conn.query("SELECT last_error FROM messages", logger: Self.logger).collect().first?.decode(String.self)
            }
            #expect(reason == "GOV.UK Notify refused the message (ValidationError: phone_number Not a UK mobile number)")
        }
    }

    /// An invitation emails the set-up link in its own transaction; once Notify has the email,
    /// Kerb's copy no longer holds the link (it works once, and the outbox is not a place to find one).
    @Test func anInvitationEmailsItsSetUpLinkAndKeepsNoCopy() async throws {
        try await withWorld { world in
            let directory = UserDirectory(database: world.database, outbox: try Outbox.bundled())
            let email = "robin.okafor@\(TestDatabase.uniqueToken()).example"
            let (_, token) = try await directory.invite(
                world.scope, fullName: "Robin Okafor", email: email, groupIDs: [], needsApproval: false,
                by: AuditEvent(actorID: world.officer.id, actor: world.officer.name, action: ""), now: world.time.clock.now(),
                link: { "https://kerb.example/t/test/setup?token=\($0.token)" }, logger: Self.logger)
            let link = "https://kerb.example/t/test/setup?token=\(token.token)"
            #expect(
                try await world.messages() == [
                    .init(kind: "account-set-up", channel: "email", state: "queued", recipient: email, attempts: 0)
                ])
            #expect(try await Self.bodies(world).first?.contains(link) == true)
            _ = try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger)
            #expect(world.fake.notifications.first?.body.contains(link) == true)
            #expect(world.fake.notifications.first?.subject.hasPrefix("Set up your Kerb account") == true)
            #expect(try await Self.bodies(world) == [Dispatcher.linkRemoved])
        }
    }

    static func bodies(_ world: World) async throws -> [String] {
        try await world.database.transaction(world.scope, logger: logger) { conn in
            try await conn.query("SELECT body FROM messages ORDER BY created_at", logger: logger).collect().map {
                try $0.decode(String.self)
            }
        }
    }

    /// A council's own wording is a new version, checked, audited, and used for the next message.
    @Test func aCouncilsWordingIsVersionedAuditedAndUsed() async throws {
        try await withWorld { world in
            let templates = MessageTemplates(database: world.database, wording: world.cases.outbox.wording)
            let actor = AuditEvent(actorID: world.officer.id, actor: world.officer.name, action: "", target: "")
            await #expect(throws: CommunicationsError.doesNotRender("Kerb does not fill in ((nickname)): use only the fields listed")) {
                try await templates.save(
                    world.scope, .acknowledgement, .email, subject: "Hi", body: "Hello ((nickname))", actor: actor,
                    userID: world.officer.id,
                    logger: Self.logger)
            }
            let version = try await templates.save(
                world.scope, .acknowledgement, .email, subject: "We have it: ((reference))",
                body: "Hello ((applicant)), thank you.((feeDue?? There is a fee.))", actor: actor, userID: world.officer.id,
                logger: Self.logger)
            #expect(version == 1)
            let reference = try await world.takeIn("Ada Byfield", email: "ada@example.com", preferred: "email")
            let preview = try await world.cases.previewMessage(
                world.scope, reference: reference, kind: .refusal, channel: .letter,
                wording: NotifyTemplate(body: "Dear ((applicant)):\n((reasons))", subject: "((reference))"), as: .caseworker(world.officer),
                logger: Self.logger)
            #expect(preview.subject == reference && preview.body == "Dear Ada Byfield:\n* First example\n* Second example")
            let file = try await world.cases.file(world.scope, reference: reference, as: .caseworker(world.officer), logger: Self.logger)
            #expect(file.letters.first?.subject == "We have it: \(reference)")
            #expect(file.letters.first?.body == "Hello Ada Byfield, thank you. There is a fee.")
            try await templates.save(
                world.scope, .acknowledgement, .email, subject: "", body: nil, actor: actor, userID: world.officer.id, logger: Self.logger)
            let history = try await templates.history(world.scope, .acknowledgement, .email, logger: Self.logger)
            #expect(history.map(\.version) == [2, 1] && history.map(\.isCouncilsOwn) == [false, true])
            let trail = try await world.database.transaction(world.scope, logger: Self.logger) { conn in
                try await conn.query(
                    "SELECT action FROM audit_events WHERE action LIKE 'templates.%' ORDER BY seq", logger: Self.logger
                ).collect().map { try $0.decode(String.self) }
            }
            #expect(trail == ["templates.change", "templates.reset"])
        }
    }
}

/// Issue 12, item 5: a bulk send to a selection, previewed, written in batches that resume after
/// a crash, each person getting exactly one message, and cancellable.
@Suite struct BulkMailTests {
    static let logger = Logger(label: "test")

    @Test func aBulkSendResumesAfterACrashAndReachesEachPersonOnce() async throws {
        try await OutboxTests().withWorld { world in
            try await SyntheticHolders.insert(world.database, world.scope, count: 250, emailEvery: 2, logger: Self.logger)
            let bulk = BulkMail(cases: world.cases)
            let officer = Actor.caseworker(world.officer)
            let preview = try await bulk.preview(world.scope, .expiringBadges, as: officer, logger: Self.logger)
            #expect(preview.count == 250 && preview.samples.count == 3)
            #expect(preview.samples.allSatisfy { $0.subject.hasPrefix("Your Blue Badge ") && $0.body.contains("expires soon") })
            #expect(try await world.messages().isEmpty)

            let id = try await bulk.start(world.scope, .expiringBadges, as: officer, logger: Self.logger)
            // The process dies after its first batch commits.
            #expect(try await bulk.continue(world.scope, batch: 100, limit: 100, logger: Self.logger) == 100)
            // Two processes resume at once.
            async let first = bulk.continue(world.scope, batch: 60, logger: Self.logger)
            async let second = bulk.continue(world.scope, batch: 60, logger: Self.logger)
            let resumed = try await first + second
            #expect(resumed == 150)
            #expect(try await bulk.continue(world.scope, logger: Self.logger) == 0)
            let messages = try await world.messages()
            #expect(messages.count == 250 && Set(messages.map(\.recipient)).count == 250)
            #expect(messages.filter { $0.channel == "email" }.count == 125)
            let progress = try #require(try await bulk.sends(world.scope, logger: Self.logger).first)
            #expect(progress.id == id && progress.state == "sending" && progress.total == 250 && progress.written == 250)

            while try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger).claimed > 0 {}
            let references = world.fake.notifications.compactMap(\.reference)
            #expect(references.count == 250 && Set(references).count == 250)
            #expect(try await bulk.sends(world.scope, logger: Self.logger).first?.sent == 250)
        }
    }

    @Test func aCancelledSendStopsWhatHasNotGone() async throws {
        try await OutboxTests().withWorld { world in
            try await SyntheticHolders.insert(world.database, world.scope, count: 120, logger: Self.logger)
            let bulk = BulkMail(cases: world.cases)
            let id = try await bulk.start(world.scope, .expiringBadges, as: .caseworker(world.officer), logger: Self.logger)
            _ = try await bulk.continue(world.scope, batch: 50, limit: 50, logger: Self.logger)
            try await bulk.cancel(world.scope, id, as: .caseworker(world.officer), logger: Self.logger)
            #expect(try await bulk.continue(world.scope, logger: Self.logger) == 0)
            #expect(try await world.messages().allSatisfy { $0.state == "cancelled" })
            #expect(try await world.dispatcher().dispatch(world.scope, service: world.service, logger: Self.logger).claimed == 0)
            await #expect(throws: CommunicationsError.noSuchBulkSend) {
                try await bulk.cancel(world.scope, id, as: .caseworker(world.officer), logger: Self.logger)
            }
        }
    }

    /// Someone whose groups do not include sending messages is refused before anything is counted.
    @Test func onlyThoseWhoSendMessagesMayStartOne() async throws {
        try await OutboxTests().withWorld { world in
            let bulk = BulkMail(cases: world.cases)
            let viewer = Actor(
                officer: world.officer,
                principal: Principal(userID: world.officer.id, groups: [AccessGroup(name: "Readers", permissions: [.viewCase])]),
                requestID: "test")
            await #expect(throws: AccessDenied(reason: .notGranted)) {
                try await bulk.start(world.scope, .expiringBadges, as: viewer, logger: Self.logger)
            }
        }
    }
}
