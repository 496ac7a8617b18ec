import Communications
import ContractFakes
import Enforcement
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import NationalBlueBadge
import Payments
import PostgresNIO
import Storage
import Testing

@testable import Casework

/// From approval to a badge, against the real database and the real HTTP clients talking to
/// the contract fakes of GOV.UK Pay and the national Blue Badge service: the fee first, the
/// statutory three years, replacement keeping the expiry, cancellation, renewal invitations,
/// enforcement, and importing an online application.
@Suite struct BadgeLifecycleTests {
    static let logger = Logger(label: "test")

    struct World {
        let cases: CaseService
        let badges: BadgeService
        let fees: FeePayments
        let scope: TenantScope
        let officer: Officer
        let decider: Officer
        let register: NationalRegister
        let national: NationalBlueBadgeFake
        let nationalClient: NationalBlueBadgeClient
        let gateway: GovUKPayGateway
        let pay: GovUKPayFake
    }

    func withWorld(_ body: (World) async throws -> Void) async throws {
        let national = NationalBlueBadgeFake(tokens: ["token-test": "TESTLA", "token-other": "OTHERLA"])
        let pay = GovUKPayFake(apiKeys: ["api_test_council": "Test council", "api_test_other": "Other council"])
        let nationalPort = try await national.start()
        let payPort = try await pay.start()
        do {
            try await TestDatabase.withAppDatabase { database in
                let tenant = try await TestDatabase.onboardTestTenant().tenant
                let staff = try await TestDatabase.councilStaff(tenant.scope)
                let outbox = try Outbox.bundled()
                let nationalClient = NationalBlueBadgeClient(baseURL: "http://127.0.0.1:\(nationalPort)", token: "token-test")
                try await body(
                    World(
                        cases: CaseService(database: database, outbox: outbox),
                        badges: BadgeService(database: database, outbox: outbox),
                        fees: FeePayments(database: database, outbox: outbox), scope: tenant.scope,
                        officer: Officer(id: staff.first, name: "Alex Morgan"), decider: Officer(id: staff.second, name: "Jordan Lee"),
                        register: NationalRegister(client: nationalClient, localAuthority: "TESTLA"), national: national,
                        nationalClient: nationalClient,
                        gateway: GovUKPayGateway(
                            client: GovUKPayClient(baseURL: "http://127.0.0.1:\(payPort)"), apiKey: "api_test_council"),
                        pay: pay))
            }
        } catch {
            await national.stop()
            await pay.stop()
            throw error
        }
        await national.stop()
        await pay.stop()
    }

    /// An approved application for a new person; returns its reference.
    static func approved(
        _ world: World, name: String = "Margaret Oyelaran", kind: ApplicationKind = .new, existing: String? = nil,
        replaceReason: ReplacementReason? = nil, personID: UUID? = nil
    ) async throws -> String {
        var person = personID ?? UUID()
        if personID == nil {
            person = try await world.cases.addPerson(
                world.scope,
                PersonDetails(
                    fullName: name, dateOfBirth: Date(timeIntervalSince1970: -400_000_000), nino: "", addressLine1: "1 Example Street",
                    town: "London", postcode: "SW1A 1AA", phone: "020 7946 0000"),
                confirmedNew: true, visibleTeams: nil, as: .caseworker(world.officer), logger: logger)
        }
        let reference = try await world.cases.open(
            world.scope,
            .init(
                personID: person, kind: kind, replaceReason: replaceReason, channel: .paper, eligibility: kind == .replace ? nil : .pip,
                existingBadge: existing),
            as: .caseworker(world.officer), logger: logger)
        try await world.cases.decide(
            world.scope, reference: reference, outcome: .approved, reasons: [], rationale: "", as: .caseworker(world.decider),
            logger: logger)
        return reference
    }

    func pay(_ world: World, _ reference: String) async throws {
        let payment = try await world.fees.request(
            world.scope, reference: reference, gateway: world.gateway, returnURL: "https://council.example/return",
            as: .caseworker(world.officer), logger: Self.logger)
        #expect(payment.status == "created" && payment.nextURL != nil)
        #expect(world.pay.settle(id: try #require(payment.providerID), status: .success))
        let records = try await world.fees.refresh(
            world.scope, reference: reference, gateway: world.gateway, as: .caseworker(world.officer), logger: Self.logger)
        #expect(records.first?.status == "success")
    }

    @Test func aBadgeIsOrderedOnlyAfterTheFeeAndWithinThreeYears() async throws {
        try await withWorld { world in
            let reference = try await Self.approved(world)
            let today = Day(Date())
            // No badge while the fee is unpaid.
            await #expect(throws: CaseworkError.feeNotPaid) {
                try await world.badges.issue(
                    world.scope, reference: reference, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                    register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            }
            // A declined card leaves it unpaid; a second attempt succeeds.
            let first = try await world.fees.request(
                world.scope, reference: reference, gateway: world.gateway, returnURL: "https://council.example/return",
                as: .caseworker(world.officer), logger: Self.logger)
            #expect(world.pay.settle(id: try #require(first.providerID), status: .failed, code: "P0010"))
            let afterDecline = try await world.fees.refresh(
                world.scope, reference: reference, gateway: world.gateway, as: .caseworker(world.officer), logger: Self.logger)
            #expect(afterDecline.first?.status == "failed" && afterDecline.first?.failureCode == "P0010")
            try await pay(world, reference)
            // Beyond three years, or starting in the past: refused, nothing ordered.
            for (start, expiry, field) in [
                (today, today.adding(months: 36, days: 1), "expiry"), (today.adding(days: -1), today.adding(months: 12), "start"),
            ] {
                do {
                    try await world.badges.issue(
                        world.scope, reference: reference, start: start, expiry: expiry, deliverTo: .home, option: .standard,
                        register: world.register, as: .caseworker(world.decider), logger: Self.logger)
                    Issue.record("an order from \(start) to \(expiry) was accepted")
                } catch CaseworkError.invalid(let issues) {
                    #expect(issues.contains { $0.field == field })
                }
            }
            #expect(world.national.requests.filter { $0.hasPrefix("POST /badges") }.isEmpty)
            // The schema refuses it too, whatever the code does.
            let person = try await world.cases.file(world.scope, reference: reference, as: .reader, logger: Self.logger).row
            await expectSQLState("23514") {  // check_violation
                try await world.cases.database.transaction(world.scope, logger: Self.logger) { conn in
                    _ = try await conn.query(
                        """
                        INSERT INTO badges (badge_number, person_id, eligibility, start_date, expiry_date, deliver_to, status, ordered_at)
                        SELECT 'KKJKK0', person_id, 'PIP', current_date, current_date + interval '3 years 1 day', 'HOME', 'ORDERED', now()
                        FROM applications WHERE id = \(person.id)
                        """, logger: Self.logger)
                }
            }
            // Within the limits: ordered from the register, numbered in the national format.
            let number = try await world.badges.issue(
                world.scope, reference: reference, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            #expect(BadgeNumber.isValid(number))
            #expect(world.national.badge(number)?.expiryDate == today.adding(months: 36).iso)
            // Once only.
            await #expect(throws: CaseworkError.badgeAlreadyOrdered) {
                try await world.badges.issue(
                    world.scope, reference: reference, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                    register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            }
            try await world.badges.recordIssued(world.scope, number: number, as: .caseworker(world.decider), logger: Self.logger)
            #expect(try await world.badges.badge(world.scope, number: number, as: .reader, logger: Self.logger).status == .issued)
            let file = try await world.cases.file(world.scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.letters.map(\.kind).contains("badge-ordered"))
            #expect(file.letters.first { $0.kind == "badge-ordered" }?.body.contains(number) == true)
        }
    }

    @Test func aReplacementKeepsTheOldExpiryAndACancelledBadgeIsNotLive() async throws {
        try await withWorld { world in
            let reference = try await Self.approved(world)
            try await pay(world, reference)
            let today = Day(Date())
            let original = try await world.badges.issue(
                world.scope, reference: reference, start: today, expiry: today.adding(months: 30), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            let badge = try await world.badges.badge(world.scope, number: original, as: .reader, logger: Self.logger)
            // Not yet issued: it cannot be replaced.
            await #expect {
                _ = try await Self.approved(
                    world, kind: .replace, existing: original, replaceReason: .lost, personID: badge.personID)
            } throws: { invalidFields($0) == ["existing-badge"] }
            _ = world.national.markIssued(original)
            try await world.badges.recordIssued(world.scope, number: original, as: .caseworker(world.decider), logger: Self.logger)
            let replacement = try await Self.approved(
                world, kind: .replace, existing: original, replaceReason: .lost, personID: badge.personID)
            try await pay(world, replacement)
            let plan = try await world.badges.plan(world.scope, reference: replacement, today: today, logger: Self.logger)
            #expect(plan.expiryFixed && plan.expiry == today.adding(months: 30))
            // Whatever expiry is asked for, the replacement keeps the old one.
            let newNumber = try await world.badges.issue(
                world.scope, reference: replacement, start: today, expiry: today.adding(months: 36), deliverTo: .council, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            #expect(newNumber != original)
            let new = try await world.badges.badge(world.scope, number: newNumber, as: .reader, logger: Self.logger)
            #expect(new.expiry == today.adding(months: 30) && new.replaces == original && new.status == .ordered)
            let old = try await world.badges.badge(world.scope, number: original, as: .reader, logger: Self.logger)
            #expect(old.status == .replaced && old.replaceReason == .lost)
            #expect(world.national.badge(original)?.statusCode == "REPLACED")
            // Cancel the new one: cancelled here and nationally, and no longer live.
            try await world.badges.cancel(
                world.scope, number: newNumber, reason: .deceased, register: world.register, as: .caseworker(world.decider),
                logger: Self.logger)
            let cancelled = try await world.badges.badge(world.scope, number: newNumber, as: .reader, logger: Self.logger)
            #expect(cancelled.status == .cancelled && cancelled.cancelReason == .deceased && !cancelled.isLive(today: today))
            #expect(world.national.badge(newNumber)?.statusCode == "CANCELLED")
            await #expect {
                try await world.badges.cancel(
                    world.scope, number: newNumber, reason: .noLongerNeeded, register: world.register, as: .caseworker(world.decider),
                    logger: Self.logger)
            } throws: { kerbErrorCode($0) == "casework.badge-not-live" }
        }
    }

    @Test func renewalInvitationsGoOnceToBadgesNearExpiry() async throws {
        try await withWorld { world in
            let reference = try await Self.approved(world)
            try await pay(world, reference)
            let today = Day(Date())
            // Expires in 30 days: inside the default 56-day invitation window.
            let number = try await world.badges.issue(
                world.scope, reference: reference, start: today, expiry: today.adding(days: 30), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            let due = try await world.badges.renewalsDue(world.scope, today: today, withinDays: 56, visibleTeams: nil, logger: Self.logger)
            #expect(due.map(\.number) == [number])
            #expect(
                try await world.badges.renewalsDue(world.scope, today: today, withinDays: 29, visibleTeams: nil, logger: Self.logger)
                    .isEmpty)
            #expect(
                try await world.badges.inviteRenewals(world.scope, as: .caseworker(world.officer), logger: Self.logger)
                    == 1)
            #expect(
                try await world.badges.inviteRenewals(world.scope, as: .caseworker(world.officer), logger: Self.logger)
                    == 0)
            let file = try await world.cases.file(world.scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.letters.contains { $0.kind == "renewal-invitation" && $0.body.contains(number) })
        }
    }

    @Test func enforcementLinksTheBadgeAndACancellationRevokesIt() async throws {
        try await withWorld { world in
            let reference = try await Self.approved(world)
            try await pay(world, reference)
            let today = Day(Date())
            let number = try await world.badges.issue(
                world.scope, reference: reference, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            let enforcement = EnforcementService(database: world.cases.database, badges: world.badges)
            // A report without what was seen is refused and opens nothing.
            await #expect {
                _ = try await enforcement.report(
                    world.scope,
                    MisuseReport(
                        badgeNumber: number, location: "", vehicleRegistration: "", observation: "", reportedBy: "CEO 12", seenAt: Date()),
                    as: .caseworker(world.officer), logger: Self.logger)
            } throws: { invalidFields($0) == ["location", "observation"] }
            #expect(try await enforcement.cases(world.scope, openOnly: false, as: .reader, logger: Self.logger).isEmpty)
            let case1 = try await enforcement.report(
                world.scope,
                MisuseReport(
                    badgeNumber: number.lowercased(), location: "Marylebone Road bay 4", vehicleRegistration: "ab12 cde",
                    observation: "Driver walked briskly away; holder not present", reportedBy: "CEO 12", seenAt: Date()),
                as: .caseworker(world.officer), logger: Self.logger)
            let forged = try await enforcement.report(
                world.scope,
                MisuseReport(
                    badgeNumber: "ZZZZZZ", location: "Baker Street", vehicleRegistration: "", observation: "Photocopied badge",
                    reportedBy: "Member of the public", seenAt: Date()),
                as: .caseworker(world.officer), logger: Self.logger)
            #expect(try await enforcement.file(world.scope, reference: forged, as: .reader, logger: Self.logger).badge == nil)
            try await enforcement.investigate(world.scope, reference: case1, as: .caseworker(world.officer), logger: Self.logger)
            try await enforcement.addEvidence(
                world.scope, reference: case1, description: "Photo of the dashboard at 10:02", capturedAt: Date(),
                as: .caseworker(world.officer),
                logger: Self.logger)
            // Closing needs a rationale; a cancellation cancels the badge (REVOKE) nationally.
            await #expect(throws: EnforcementError.invalid([FieldIssue(field: "rationale", message: "Explain the outcome")])) {
                try await enforcement.close(
                    world.scope, reference: case1, outcome: .cancellation, rationale: " ", register: world.register,
                    as: .caseworker(world.officer), logger: Self.logger)
            }
            try await enforcement.close(
                world.scope, reference: case1, outcome: .cancellation, rationale: "Repeated misuse by a relative", register: world.register,
                as: .caseworker(world.officer), logger: Self.logger)
            let file = try await enforcement.file(world.scope, reference: case1, as: .reader, logger: Self.logger)
            #expect(file.status == .closed && file.outcome == .cancellation && file.badge?.number == number)
            #expect(file.badge?.status == .cancelled && file.badge?.cancelReason == .revoked)
            #expect(world.national.badge(number)?.statusCode == "CANCELLED")
            #expect(file.evidence.count == 1 && file.vehicleRegistration == "AB12 CDE")
            await #expect(throws: EnforcementError.closed) {
                try await enforcement.investigate(world.scope, reference: case1, as: .caseworker(world.officer), logger: Self.logger)
            }
            // A forged number cannot be "cancelled".
            await #expect(throws: EnforcementError.noBadgeToCancel) {
                try await enforcement.close(
                    world.scope, reference: forged, outcome: .cancellation, rationale: "Forged", register: world.register,
                    as: .caseworker(world.officer), logger: Self.logger)
            }
        }
    }

    @Test func onlineApplicationsAreImportedOnceWithTheirPaymentAndEvidence() async throws {
        try await withWorld { world in
            func submit(_ name: String, la: String, nino: String?) async throws -> UUID {
                try await world.nationalClient.submitApplication(
                    NationalApplication(
                        applicationTypeCode: "NEW", localAuthorityCode: la, paymentTaken: true, paymentReference: "PVAUETDW43CM",
                        submissionDate: NationalDate.instant(Date().addingTimeInterval(-3_600)),
                        party: NationalParty(
                            contact: NationalContact(
                                fullName: name, buildingStreet: "2 Example Road", townCity: "London", postCode: "W1A 1AA",
                                primaryPhoneNumber: "020 7946 0001", emailAddress: "applicant@example.com"),
                            person: NationalPerson(badgeHolderName: name, nino: nino, dob: "1950-04-02", genderCode: "FEMALE")),
                        eligibility: NationalEligibility(typeCode: "PIP"),
                        artifacts: [NationalArtifact(type: "PROOF_ID", link: "https://example.com/id.jpg")]))
            }
            _ = try await submit("Edith Online", la: "TESTLA", nino: "AB123456C")
            let other = NationalBlueBadgeClient(baseURL: try #require(world.national.baseURL), token: "token-other")
            _ = try await other.submitApplication(
                NationalApplication(
                    applicationTypeCode: "NEW", localAuthorityCode: "OTHERLA", paymentTaken: false,
                    submissionDate: NationalDate.instant(Date()),
                    party: NationalParty(
                        contact: NationalContact(
                            buildingStreet: "1 Elsewhere", townCity: "Leeds", postCode: "LS1 1AA", primaryPhoneNumber: "0113 496 0000"),
                        person: NationalPerson(badgeHolderName: "Not Ours", dob: "1960-01-01", genderCode: "MALE")),
                    eligibility: NationalEligibility(typeCode: "DLA")))
            let importer = OnlineApplications(cases: world.cases)
            let first = try await importer.importNew(
                world.scope, client: world.nationalClient, localAuthority: "TESTLA", as: .caseworker(world.officer), logger: Self.logger)
            #expect(first.imported.count == 1 && first.skipped.isEmpty)
            // Importing again takes nothing twice; the other council's application never arrives.
            let second = try await importer.importNew(
                world.scope, client: world.nationalClient, localAuthority: "TESTLA", as: .caseworker(world.officer), logger: Self.logger)
            #expect(second.imported.isEmpty)
            let reference = try #require(first.imported.first)
            let file = try await world.cases.file(world.scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.channel == .online && file.row.status == .received && file.applicantName == "Edith Online")
            #expect(file.evidence.first { $0.kind == "Proof of identity" }?.receivedAt != nil)
            #expect(file.evidence.first { $0.kind == "Proof of address" }?.receivedAt == nil)
            #expect(file.letters.contains { $0.kind == "acknowledgement" })
            let payments = try await world.fees.payments(world.scope, reference: reference, logger: Self.logger)
            #expect(payments.map(\.provider) == ["NATIONAL"] && payments.first?.reference == "PVAUETDW43CM")
            // From import to an ordered badge: approve; the fee was paid online.
            try await world.cases.decide(
                world.scope, reference: reference, outcome: .approved, reasons: [], rationale: "", as: .caseworker(world.decider),
                logger: Self.logger)
            let today = Day(Date())
            let number = try await world.badges.issue(
                world.scope, reference: reference, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            #expect(BadgeNumber.isValid(number))
        }
    }

    @Test func anOrganisationGetsABadgeWithoutAPersonalCriterion() async throws {
        try await withWorld { world in
            let details = PersonDetails(
                fullName: "Riverside Care Home", dateOfBirth: nil, addressLine1: "3 River Walk", town: "London", postcode: "SE1 9SG",
                phone: "020 7946 0300", isOrganisation: true)
            // An organisation has no date of birth.
            var withBirthday = details
            withBirthday.dateOfBirth = Date(timeIntervalSince1970: 0)
            #expect(withBirthday.problems().contains { $0.field == "date-of-birth" })
            let organisation = try await world.cases.addPerson(
                world.scope, details, confirmedNew: true, visibleTeams: nil, as: .caseworker(world.officer), logger: Self.logger)
            let reference = try await world.cases.open(
                world.scope, .init(personID: organisation, kind: .new, channel: .paper, eligibility: nil, forOrganisation: true),
                as: .caseworker(world.officer),
                logger: Self.logger)
            // A person's application still needs its criterion, in code and in the schema.
            let person = try await world.cases.addPerson(
                world.scope,
                PersonDetails(
                    fullName: "Ivy Stone", dateOfBirth: Date(timeIntervalSince1970: -500_000_000), addressLine1: "1 Road",
                    postcode: "SE1 9SG"),
                confirmedNew: true, visibleTeams: nil, as: .caseworker(world.officer), logger: Self.logger)
            await #expect {
                _ = try await world.cases.open(
                    world.scope, .init(personID: person, kind: .new, channel: .paper, eligibility: nil, forOrganisation: true),
                    as: .caseworker(world.officer),
                    logger: Self.logger)
            } throws: { invalidFields($0) == ["eligibility"] }
            await expectSQLState("23514") {  // check_violation
                try await world.cases.database.transaction(world.scope, logger: Self.logger) { conn in
                    _ = try await conn.query(
                        """
                        INSERT INTO applications (reference, person_id, kind, channel, status, received_at)
                        VALUES ('BB-TEST-1', \(person), 'NEW', 'PAPER', 'RECEIVED', now())
                        """, logger: Self.logger)
                }
            }
            try await world.cases.decide(
                world.scope, reference: reference, outcome: .approved, reasons: [], rationale: "", as: .caseworker(world.decider),
                logger: Self.logger)
            try await pay(world, reference)
            let today = Day(Date())
            let number = try await world.badges.issue(
                world.scope, reference: reference, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            let national = try #require(world.national.badge(number))
            #expect(national.party.typeCode == "ORG" && (national.eligibilityCode ?? "").isEmpty)
            #expect(
                try await world.badges.badge(world.scope, number: number, as: .reader, logger: Self.logger).holderName
                    == "Riverside Care Home")
        }
    }
}

/// Issue 9, item 15: an answer from the national register that Kerb cannot record resolves
/// into a state an officer can act on, and the demo register never reuses a number.
@Suite struct RegisterAnswerTests {
    static let logger = Logger(label: "test")
    let lifecycle = BadgeLifecycleTests()

    @Test func aBadgeNumberTheCouncilAlreadyHoldsLeavesNoOrderStuck() async throws {
        try await lifecycle.withWorld { world in
            let today = Day(Date())
            let first = try await BadgeLifecycleTests.approved(world, name: "Ada Firstcase")
            try await lifecycle.pay(world, first)
            let number = try await world.badges.issue(
                world.scope, reference: first, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            // A register that restarted its numbering (as the demo's once did) answers the same number.
            let restarted = NationalBlueBadgeFake(tokens: ["token-test": "TESTLA"])
            let port = try await restarted.start()
            defer { Task { await restarted.stop() } }
            let second = try await BadgeLifecycleTests.approved(world, name: "Ben Secondcase")
            try await lifecycle.pay(world, second)
            let stale = NationalRegister(
                client: NationalBlueBadgeClient(baseURL: "http://127.0.0.1:\(port)", token: "token-test"), localAuthority: "TESTLA")
            await #expect(throws: CaseworkError.registerAnswerUnusable("badge number \(number), which this council already holds")) {
                try await world.badges.issue(
                    world.scope, reference: second, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                    register: stale, as: .caseworker(world.decider), logger: Self.logger)
            }
            // Not stuck "in flight": the case says what happened, and the officer can order again.
            let file = try await world.cases.file(world.scope, reference: second, as: .reader, logger: Self.logger)
            #expect(file.events.contains { $0.kind == "badge-order-unusable" && $0.detail.contains(number) })
            let again = try await world.badges.issue(
                world.scope, reference: second, start: today, expiry: today.adding(months: 36), deliverTo: .home, option: .standard,
                register: world.register, as: .caseworker(world.decider), logger: Self.logger)
            #expect(again != number && BadgeNumber.isValid(again))
        }
    }

    @Test func theDemoRegisterKeepsItsNumberingAcrossRestarts() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-sequence-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        func orderOne() async throws -> String {
            let fake = NationalBlueBadgeFake(tokens: ["token-test": "TESTLA"], sequenceFile: file)
            let port = try await fake.start()
            let register = NationalRegister(
                client: NationalBlueBadgeClient(baseURL: "http://127.0.0.1:\(port)", token: "token-test"), localAuthority: "TESTLA")
            let today = Day(Date())
            let number = try await register.order(
                BadgeRegisterOrder(
                    applicationReference: "BB-2026-000001", holderName: "Cara Demo \(UUID().uuidString.prefix(6))",
                    dateOfBirth: Day(iso: "1950-01-01"), nino: nil, addressLine1: "1 Road", addressLine2: "", town: "London",
                    postcode: "SW1A 1AA", phone: "020 7946 0000", email: nil, applicationDate: today, channel: .paper, eligibility: .pip,
                    organisation: false, start: today, expiry: today.adding(months: 12), deliverTo: .home, option: .standard))
            await fake.stop()
            return number
        }
        let first = try await orderOne()
        let second = try await orderOne()
        #expect(first != second)
    }
}
