import Casework
import Communications
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Testing

/// Casework rules against the real database: formats, duplicates, the statutory steps of a
/// decision, and the timeline.
@Suite struct CaseworkTests {
    static let logger = Logger(label: "test")

    func withCases(_ body: (CaseService, TenantScope, Officer, Officer) async throws -> Void) async throws {
        try await TestDatabase.withTenantDatabase { database in
            let tenant = try await TestDatabase.onboardTestTenant().tenant
            let staff = try await TestDatabase.councilStaff(tenant.scope)
            try await body(
                CaseService(database: database, outbox: try Outbox.bundled()), tenant.scope,
                Officer(id: staff.first, name: "Alex Morgan"),
                Officer(id: staff.second, name: "Jordan Lee"))
        }
    }

    static let evidence = LocalPolicyDocument.Evidence(proofOfIdentity: true, proofOfAddress: true, photo: false)

    static func person(_ name: String = "Margaret Oyelaran", postcode: String = "sw1a 1aa") -> PersonDetails {
        PersonDetails(
            fullName: name, dateOfBirth: Date(timeIntervalSince1970: -400_000_000), nino: "", addressLine1: "1 Example Street",
            postcode: postcode)
    }

    @Test func badPersonDetailsAreRefusedWithEveryProblem() async throws {
        try await withCases { cases, scope, officer, _ in
            let bad = PersonDetails(
                fullName: " ", dateOfBirth: Date().addingTimeInterval(86_400), nino: "NOT-A-NINO", addressLine1: "", postcode: "XYZ",
                preferredChannel: "email")
            await #expect(throws: CaseworkError.invalid(bad.problems())) {
                _ = try await cases.addPerson(
                    scope, bad, confirmedNew: true, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            }
            let fields = Set(bad.problems().map(\.field))
            #expect(fields == ["full-name", "date-of-birth", "nino", "address-line1", "postcode", "email"])
        }
    }

    @Test func aPossibleDuplicateIsFlaggedDespiteSpellingAndCanBeConfirmedNew() async throws {
        try await withCases { cases, scope, officer, _ in
            let first = try await cases.addPerson(
                scope, Self.person(), confirmedNew: false, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            do {
                _ = try await cases.addPerson(
                    scope, Self.person("Margaret Oyelaren"), confirmedNew: false, visibleTeams: nil, as: .caseworker(officer),
                    logger: Self.logger)
                Issue.record("a near-identical person was not flagged")
            } catch CaseworkError.possibleDuplicates(let matches) {
                #expect(matches.map(\.id) == [first])
            }
            // Same name elsewhere with another birthday is a different person: no warning.
            var other = Self.person(postcode: "M1 1AE")
            other.dateOfBirth = Date(timeIntervalSince1970: 0)
            _ = try await cases.addPerson(
                scope, other, confirmedNew: false, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            // The officer can confirm a flagged one is new.
            _ = try await cases.addPerson(
                scope, Self.person("Margaret Oyelaren"), confirmedNew: true, visibleTeams: nil, as: .caseworker(officer),
                logger: Self.logger)
        }
    }

    @Test func aRefusalNeedsReasonsTheAssessorCannotDecideAndReviewsFollowTheRoute() async throws {
        try await withCases { cases, scope, assessor, decider in
            let person = try await cases.addPerson(
                scope, Self.person(), confirmedNew: true, visibleTeams: nil, as: .caseworker(assessor), logger: Self.logger)
            let now = Date()
            let walking = try await cases.reading(.fixed(now)).open(
                scope, .init(personID: person, kind: .new, channel: .paper, eligibility: .walking), as: .caseworker(assessor),
                logger: Self.logger)
            #expect(walking.hasPrefix("BB-"))
            try await cases.reading(.fixed(now)).assess(
                scope, reference: walking, findings: "Walks 200 m unaided", as: .caseworker(assessor), logger: Self.logger)
            // The assessor may not decide: the policy engine refuses it on the locked case.
            await #expect(throws: AccessDenied(reason: .separationOfDuties)) {
                try await cases.reading(.fixed(now)).decide(
                    scope, reference: walking, outcome: .approved, reasons: [], rationale: "", as: .caseworker(assessor),
                    logger: Self.logger)
            }
            // A refusal without reasons or rationale is refused, and changes nothing.
            await #expect {
                try await cases.reading(.fixed(now)).decide(
                    scope, reference: walking, outcome: .refused, reasons: [], rationale: "Not eligible", as: .caseworker(decider),
                    logger: Self.logger)
            } throws: { invalidFields($0) == ["reasons"] }
            await #expect {
                try await cases.reading(.fixed(now)).decide(
                    scope, reference: walking, outcome: .refused, reasons: [.walkingNotSubstantial], rationale: " ",
                    as: .caseworker(decider),
                    logger: Self.logger)
            } throws: { invalidFields($0) == ["rationale"] }
            #expect(try await cases.file(scope, reference: walking, as: .reader, logger: Self.logger).row.status == .assessed)
            try await cases.reading(.fixed(now)).decide(
                scope, reference: walking, outcome: .refused, reasons: [.walkingNotSubstantial], rationale: "Walks 200 m without pain",
                as: .caseworker(decider), logger: Self.logger)
            // Decided once: a second decision is refused.
            await #expect(throws: CaseworkError.wrongStatus(.refused, action: "decided")) {
                try await cases.reading(.fixed(now)).decide(
                    scope, reference: walking, outcome: .approved, reasons: [], rationale: "", as: .caseworker(decider), logger: Self.logger
                )
            }

            let automatic = try await cases.reading(.fixed(now)).open(
                scope, .init(personID: person, kind: .new, channel: .online, eligibility: .pip), as: .caseworker(assessor),
                logger: Self.logger)
            try await cases.reading(.fixed(now)).decide(
                scope, reference: automatic, outcome: .refused, reasons: [.benefitNotShown], rationale: "PIP letter shows 4 points",
                as: .caseworker(decider), logger: Self.logger)
            let offered: [String: Bool] = try await cases.database.transaction(scope, logger: Self.logger) { conn in
                var values: [String: Bool] = [:]
                for try await (reference, offered) in try await conn.query(
                    "SELECT a.reference, d.review_offered FROM decisions d JOIN applications a ON a.id = d.application_id",
                    logger: Self.logger
                ).decode((String, Bool).self) { values[reference] = offered }
                return values
            }
            // Walking (further assessment): review offered. PIP (automatic route): none.
            #expect(offered == [walking: true, automatic: false])
            // The automatic route's refusal letter explains instead of offering a review.
            let bodies: [String: String] = try await cases.database.transaction(scope, logger: Self.logger) { conn in
                var bodies: [String: String] = [:]
                for try await (reference, body) in try await conn.query(
                    "SELECT a.reference, l.body FROM messages l JOIN applications a ON a.id = l.application_id WHERE l.kind = 'refusal'",
                    logger: Self.logger
                ).decode((String, String).self) { bodies[reference] = body }
                return bodies
            }
            #expect(bodies[walking]?.contains("ask us to review it") == true)
            #expect(bodies[automatic]?.contains("ask us to review it") == false)
            #expect(bodies[automatic]?.contains("qualifying benefit") == true)
            #expect(bodies[automatic]?.contains("The evidence does not show the benefit") == true)
            await #expect(throws: CaseworkError.reviewNotAvailable) {
                try await cases.reading(.fixed(now)).requestReview(
                    scope, reference: automatic, as: .caseworker(assessor), logger: Self.logger)
            }
            try await cases.reading(.fixed(now)).requestReview(
                scope, reference: walking, as: .caseworker(assessor), logger: Self.logger)
            await #expect(throws: CaseworkError.reviewNotAvailable) {
                try await cases.reading(.fixed(now)).requestReview(
                    scope, reference: walking, as: .caseworker(assessor), logger: Self.logger)
            }
            await #expect(throws: CaseworkError.reviewerMadeTheDecision) {
                try await cases.reading(.fixed(now)).decideReview(
                    scope, reference: walking, overturn: true, rationale: "x", as: .caseworker(decider), logger: Self.logger)
            }
            try await cases.reading(.fixed(now)).decideReview(
                scope, reference: walking, overturn: false, rationale: "Evidence unchanged", as: .caseworker(assessor), logger: Self.logger)
            #expect(try await cases.file(scope, reference: walking, as: .reader, logger: Self.logger).row.status == .refused)
        }
    }

    @Test func aReplacementNeedsItsReasonAndADraftIsReceivedWhenSubmitted() async throws {
        try await withCases { cases, scope, officer, _ in
            let person = try await cases.addPerson(
                scope, Self.person(), confirmedNew: true, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            await #expect {
                _ = try await cases.open(
                    scope, .init(personID: person, kind: .replace, channel: .phone, eligibility: .dla), as: .caseworker(officer),
                    logger: Self.logger)
            } throws: { invalidFields($0) == ["replace-reason", "existing-badge"] }
            let draft = try await cases.open(
                scope, .init(personID: person, kind: .new, channel: .inPerson, eligibility: nil, draft: true), as: .caseworker(officer),
                logger: Self.logger)
            #expect(try await cases.file(scope, reference: draft, as: .reader, logger: Self.logger).row.status == .draft)
            await #expect(throws: CaseworkError.wrongStatus(.draft, action: "assessed")) {
                try await cases.assess(scope, reference: draft, findings: "x", as: .caseworker(officer), logger: Self.logger)
            }
            try await cases.submit(scope, reference: draft, eligibility: .cognitive, as: .caseworker(officer), logger: Self.logger)
            #expect(try await cases.file(scope, reference: draft, as: .reader, logger: Self.logger).row.status == .received)
        }
    }

    @Test func waitingForTheApplicantStopsTheClockAndTheEscalationQueueCountsOnlyRunningTime() async throws {
        try await withCases { cases, scope, officer, _ in
            let person = try await cases.addPerson(
                scope, Self.person(), confirmedNew: true, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            let now = Date()
            let start = now.addingTimeInterval(-20 * 86_400)
            let reference = try await cases.reading(.fixed(start)).open(
                scope, .init(personID: person, kind: .new, channel: .paper, eligibility: .walking), as: .caseworker(officer),
                logger: Self.logger)
            await #expect {
                try await cases.reading(.fixed(start)).requestEvidence(
                    scope, reference: reference, items: [" "], as: .caseworker(officer), logger: Self.logger)
            } throws: { invalidFields($0) == ["items"] }
            try await cases.reading(.fixed(start.addingTimeInterval(5 * 86_400))).requestEvidence(
                scope, reference: reference, items: ["Proof of address", "Consultant's letter"], as: .caseworker(officer),
                logger: Self.logger)
            #expect(try await cases.file(scope, reference: reference, as: .reader, logger: Self.logger).row.status == .awaitingApplicant)
            // Half the evidence: still waiting, still paused.
            try await cases.reading(.fixed(start.addingTimeInterval(10 * 86_400))).receiveEvidence(
                scope, reference: reference, items: ["Proof of address"], as: .caseworker(officer),
                logger: Self.logger)
            var file = try await cases.file(scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.isPaused && file.row.status == .awaitingApplicant)
            try await cases.reading(.fixed(start.addingTimeInterval(15 * 86_400))).receiveEvidence(
                scope, reference: reference, items: ["Consultant's letter"], as: .caseworker(officer),
                logger: Self.logger)
            file = try await cases.file(scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(!file.isPaused && file.row.status == .received)
            // 20 days since receipt, 10 of them paused.
            #expect(file.elapsedDays(now: now) == 10)
            #expect(file.letters.contains { $0.kind == "evidence-request" && $0.body.contains("Consultant's letter") })
            let due = try await cases.queue(scope, .atLeast(days: 10), visibleTeams: nil, logger: Self.logger).map(\.reference)
            let notYet = try await cases.queue(scope, .atLeast(days: 11), visibleTeams: nil, logger: Self.logger).map(\.reference)
            #expect(due.contains(reference) && !notYet.contains(reference))
        }
    }

    @Test func searchFindsCasesByMisspeltNameReferenceOrPostcodeWithinVisibleTeams() async throws {
        try await withCases { cases, scope, officer, decider in
            let margaret = try await cases.addPerson(
                scope, Self.person(), confirmedNew: true, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            let other = try await cases.addPerson(
                scope, Self.person("Dennis Okafor", postcode: "M1 1AE"), confirmedNew: true, visibleTeams: nil, as: .caseworker(officer),
                logger: Self.logger)
            let first = try await cases.open(
                scope, .init(personID: margaret, kind: .new, channel: .paper, eligibility: .pip), as: .caseworker(officer),
                logger: Self.logger)
            try await cases.decide(
                scope, reference: first, outcome: .approved, reasons: [], rationale: "", as: .caseworker(decider), logger: Self.logger)
            let second = try await cases.open(
                scope, .init(personID: other, kind: .new, channel: .paper, eligibility: .dla), as: .caseworker(officer),
                logger: Self.logger)
            func find(_ text: String, teams: Set<String>? = nil) async throws -> [String] {
                try await cases.queue(scope, .search(text), visibleTeams: teams, logger: Self.logger).map(\.reference)
            }
            #expect(try await find("margret oyelaran") == [first])  // misspelt, and decided cases are found too
            #expect(try await find("sw1a1aa") == [first])
            #expect(try await find(second.lowercased()) == [second])
            #expect(try await find("okafor") == [second])
            #expect(try await find("nobody like this").isEmpty)
            let database = cases.database
            _ = try await database.transaction(scope, logger: Self.logger) { conn in
                try await conn.query("INSERT INTO teams (name) VALUES ('South')", logger: Self.logger)
                try await conn.query("UPDATE applications SET team = 'South' WHERE reference = \(second)", logger: Self.logger)
            }
            #expect(try await find("okafor", teams: ["North"]).isEmpty)
            #expect(try await find("okafor", teams: ["South"]) == [second])
        }
    }

    /// Every case belongs to a team: the council's default one, which every council has from
    /// onboarding, unless another is chosen. The schema refuses a case without one.
    @Test func everyCaseBelongsToATeamTheCouncilsDefaultUnlessAnotherIsChosen() async throws {
        try await withCases { cases, scope, officer, _ in
            #expect(try await cases.assignees(scope, logger: Self.logger).teams == [CaseService.defaultTeam])
            let person = try await cases.addPerson(
                scope, Self.person(), confirmedNew: true, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            let plain = try await cases.open(
                scope, .init(personID: person, kind: .new, channel: .paper, eligibility: .pip), as: .caseworker(officer),
                logger: Self.logger)
            #expect(try await cases.file(scope, reference: plain, as: .reader, logger: Self.logger).row.team == "General casework")
            // A team the council does not have is refused at its field, and nothing is opened.
            await #expect(throws: CaseworkError.invalid([FieldIssue(field: "team", message: "Choose one of the council's teams")])) {
                _ = try await cases.open(
                    scope, .init(personID: person, kind: .new, channel: .paper, eligibility: .pip, team: "North"),
                    as: .caseworker(officer), logger: Self.logger)
            }
            #expect(try await cases.queue(scope, .open, visibleTeams: nil, logger: Self.logger).map(\.reference) == [plain])
            try await cases.database.transaction(scope, logger: Self.logger) { conn in
                _ = try await conn.query("INSERT INTO teams (name) VALUES ('North')", logger: Self.logger).collect()
            }
            let north = try await cases.open(
                scope, .init(personID: person, kind: .new, channel: .paper, eligibility: .pip, team: "North"), as: .caseworker(officer),
                logger: Self.logger)
            #expect(try await cases.file(scope, reference: north, as: .reader, logger: Self.logger).row.team == "North")
            // No code path, nor hand-written SQL, can take a case out of every team.
            await expectSQLState("23502", "a case left without a team") {  // not_null_violation
                try await cases.database.transaction(scope, logger: Self.logger) { conn in
                    _ = try await conn.query("UPDATE applications SET team = NULL WHERE reference = \(north)", logger: Self.logger)
                        .collect()
                }
            }
        }
    }

    /// A team-confined officer is warned only about people with a case in their teams, and an NI
    /// number held only on another team's books is neither refused nor shown: their entry is kept
    /// as typed, linked to the record holding the number. Whoever can see that record is refused.
    @Test func aConfinedOfficerIsNeitherWarnedNorToldAboutAnotherTeamsApplicant() async throws {
        try await withCases { cases, scope, officer, _ in
            var margaret = Self.person()
            margaret.nino = "AB 12 34 56 C"
            let holder = try await cases.addPerson(
                scope, margaret, confirmedNew: true, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
            _ = try await cases.open(
                scope, .init(personID: holder, kind: .new, channel: .paper, eligibility: .pip), as: .caseworker(officer),
                logger: Self.logger)
            try await cases.database.transaction(scope, logger: Self.logger) { conn in
                _ = try await conn.query("INSERT INTO teams (name) VALUES ('North')", logger: Self.logger).collect()
            }
            let lookAlike = Self.person("Margaret Oyelaren")
            // Everyone, and the default team, see her; North does not.
            #expect(
                try await cases.possibleDuplicates(scope, lookAlike, visibleTeams: nil, logger: Self.logger).map(\.id) == [holder])
            #expect(
                try await cases.possibleDuplicates(scope, lookAlike, visibleTeams: [CaseService.defaultTeam], logger: Self.logger)
                    .map(\.id) == [holder])
            #expect(try await cases.possibleDuplicates(scope, lookAlike, visibleTeams: ["North"], logger: Self.logger).isEmpty)
            do {
                _ = try await cases.addPerson(
                    scope, lookAlike, confirmedNew: false, visibleTeams: nil, as: .caseworker(officer), logger: Self.logger)
                Issue.record("an officer who sees every team was not warned")
            } catch CaseworkError.possibleDuplicates(let matches) {
                #expect(matches.map(\.id) == [holder])
            }
            let unwarned = try await cases.addPerson(
                scope, lookAlike, confirmedNew: false, visibleTeams: ["North"], as: .caseworker(officer), logger: Self.logger)
            #expect(unwarned != holder)

            // Her NI number, typed by someone who can see her record: refused, naming the clash.
            var sameNumber = Self.person("Ruth Ambrose", postcode: "M1 1AE")
            sameNumber.nino = "ab123456c"
            let onRecord = CaseworkError.invalid([
                FieldIssue(field: "nino", message: "Someone with this National Insurance number is already on record")
            ])
            for visible: Set<String>? in [nil, [CaseService.defaultTeam, "North"]] {
                await #expect(throws: onRecord) {
                    _ = try await cases.addPerson(
                        scope, sameNumber, confirmedNew: true, visibleTeams: visible, as: .caseworker(officer), logger: Self.logger)
                }
            }
            // By someone confined to North: kept as typed, linked to her record, nothing of hers shown.
            let kept = try await cases.addPerson(
                scope, sameNumber, confirmedNew: false, visibleTeams: ["North"], as: .caseworker(officer), logger: Self.logger)
            let rows = try await cases.database.transaction(scope, logger: Self.logger) { conn in
                var rows: [UUID: (String, String?, UUID?)] = [:]
                for try await (id, name, nino, link) in try await conn.query(
                    "SELECT id, full_name, nino, same_nino_as FROM people WHERE id IN (\(holder), \(kept))", logger: Self.logger
                ).decode((UUID, String, String?, UUID?).self) { rows[id] = (name, nino, link) }
                return rows
            }
            #expect(rows[kept]?.0 == "Ruth Ambrose" && rows[kept]?.1 == "AB123456C" && rows[kept]?.2 == holder)
            #expect(rows[holder]?.0 == "Margaret Oyelaran" && rows[holder]?.2 == nil)
            // Once North has a case for that record, North sees the number as taken too.
            _ = try await cases.open(
                scope, .init(personID: kept, kind: .new, channel: .paper, eligibility: .pip, team: "North"), as: .caseworker(officer),
                logger: Self.logger)
            await #expect(throws: onRecord) {
                _ = try await cases.addPerson(
                    scope, Self.person("Someone Else", postcode: "LS1 1AA").with(nino: "AB123456C"), confirmedNew: true,
                    visibleTeams: ["North"], as: .caseworker(officer), logger: Self.logger)
            }
        }
    }
}

extension PersonDetails {
    fileprivate func with(nino: String) -> PersonDetails {
        var copy = self
        copy.nino = nino
        return copy
    }
}
