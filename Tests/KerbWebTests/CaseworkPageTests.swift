import Audit
import Casework
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import KerbTestSupport
import Logging
import Policy
import Tenancy
import Testing
import Web

/// An application from the form to a refusal with reasons, through the pages, by two people in
/// different groups; the statutory steps cannot be skipped.
@Suite struct CaseworkPageTests {
    static let logger = Logger(label: "test")

    @Test func anOfficerTakesInAnApplicationAndADecisionMakerRefusesItWithReasons() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let officer = council.other
            let decider = try await council.world.signIn(as: try await council.world.person("Amira Hassan", groups: ["Decision makers"]))

            try await officer.get("/cases/new")
            let fields: [(String, String)] = [
                ("full-name", "Margaret Oyelaran"), ("date-of-birth", "27/03/1961"), ("address-line1", "1 Example Street"),
                ("town", "London"), ("postcode", "sw1a 1aa"), ("preferred-channel", "letter"), ("kind", "NEW"), ("replace-reason", ""),
                ("channel", "PAPER"), ("eligibility", "WALKD"),
            ]
            // Bad input: every problem listed, nothing stored.
            let bad = try await officer.post(
                "/cases/new", [("full-name", ""), ("postcode", "nope"), ("kind", "REPLACE"), ("eligibility", "")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.html.contains("Enter a real postcode") && bad.html.contains("Choose why the badge needs replacing"))
            let created = try await officer.post("/cases/new", fields)
            #expect(created.status == .seeOther)
            let reference = try #require(created.location?.components(separatedBy: "/cases/").last)
            #expect(reference.hasPrefix("BB-"))
            // The same person again, spelt differently: warned, not duplicated.
            var again = fields
            again[0] = ("full-name", "Margaret Oyelaren")
            let warned = try await officer.post("/cases/new", again)
            #expect(
                warned.status == .unprocessableContent && warned.html.contains("Possible matches")
                    && warned.html.contains("Margaret Oyelaran"))

            // The officer assesses; they may not decide.
            let page = try await officer.get("/cases/\(reference)")
            #expect(page.status == .ok && page.html.contains("Margaret Oyelaran") && page.html.contains("Proof of identity"))
            #expect(try await officer.post("/cases/\(reference)/assess", [("findings", "Walks 200 m without aids")]).status == .seeOther)
            #expect(try await officer.post("/cases/\(reference)/decide", [("outcome", "APPROVED")]).status == .forbidden)

            // The decision maker: a refusal without reasons is refused; with them it stands.
            try await decider.get("/cases/\(reference)")
            let noReasons = try await decider.post("/cases/\(reference)/decide", [("outcome", "REFUSED"), ("rationale", "")])
            #expect(noReasons.status == .unprocessableContent && noReasons.html.contains("A refusal must give at least one reason"))
            let refused = try await decider.post(
                "/cases/\(reference)/decide",
                [("outcome", "REFUSED"), ("reasons[]", "WALKING_NOT_SUBSTANTIAL"), ("rationale", "Walks 200 m without pain or aids")])
            #expect(refused.status == .seeOther)
            let decided = try await decider.get("/cases/\(reference)")
            // The refusal letter is recorded on the case, quotes the reasons and offers a review.
            let letterPath = try #require(
                decided.html.components(separatedBy: "href=\"").first { $0.contains("/letters/") && $0.contains("Refusal with reasons") }?
                    .components(separatedBy: "\"").first)
            let letter = try await decider.get(letterPath)
            #expect(letter.status == .ok && letter.html.contains("Dear Margaret Oyelaran") && letter.html.contains(reference))
            #expect(
                letter.html.contains("did not find a very considerable difficulty walking") && letter.html.contains("ask us to review it"))
            #expect(letter.html.contains(council.tenant.displayName))
            #expect(decided.html.contains("Acknowledgement (letter)"))
            #expect(decided.html.contains("Refused") && decided.html.contains("Offered in the refusal letter"))
            #expect(decided.html.contains("did not find a very considerable difficulty walking"))
            #expect(decided.html.contains("assessed — Priya Shah") && decided.html.contains("decided — Amira Hassan"))
            // Decided once only.
            #expect(try await decider.post("/cases/\(reference)/decide", [("outcome", "APPROVED")]).status == .conflict)
            // The applicant asks for a review: due in five working days of England.
            try await officer.get("/cases/\(reference)")
            #expect(try await officer.post("/cases/\(reference)/review").status == .seeOther)
            let due = WorkingDays(nation: .england).adding(5, to: Date())
            var london = Calendar(identifier: .gregorian)
            london.timeZone = TimeZone(identifier: "Europe/London")!
            let c = london.dateComponents([.year, .month, .day], from: due)
            let withReview = try await decider.get("/cases/\(reference)")
            #expect(withReview.html.contains(String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)))
            // Whoever decided may not review; another decision maker may, with a rationale.
            let denied = try await decider.post(
                "/cases/\(reference)/review/decide", [("review-outcome", "OVERTURNED"), ("review-rationale", "x")])
            #expect(denied.status == .forbidden && denied.html.contains("someone else must review it"))
            let reviewer = try await council.world.signIn(as: try await council.world.person("Tom Price", groups: ["Decision makers"]))
            try await reviewer.get("/cases/\(reference)")
            #expect(
                try await reviewer.post("/cases/\(reference)/review/decide", [("review-outcome", "OVERTURNED"), ("review-rationale", "")])
                    .status
                    == .unprocessableContent)
            #expect(
                try await reviewer.post(
                    "/cases/\(reference)/review/decide",
                    [("review-outcome", "OVERTURNED"), ("review-rationale", "GP letter shows 30 m limit")]
                ).status == .seeOther)
            let overturned = try await reviewer.get("/cases/\(reference)")
            #expect(
                overturned.html.contains("Approved") && overturned.html.contains("Overturned")
                    && overturned.html.contains("GP letter shows 30 m limit"))

            // A manager (here the administrator, whose group includes reports) sees it in MI.
            let mi = try await council.admin.get("/mi")
            #expect(mi.status == .ok && mi.html.contains("Decided within 28 days") && mi.html.contains("100%"))
            #expect(mi.html.contains("alt=\"Applications by status: Draft 0, Received 0,"))
            let csv = try await council.admin.get("/mi/summary.csv")
            #expect(csv.html.contains("applications by status,Approved,1") && csv.html.contains("decided within 28 days,all,1"))
            // Review timeliness: the review was answered on the day it was asked for.
            #expect(mi.html.contains("1 of 1 answered by their due day"))
            #expect(csv.html.contains("reviews answered by their due day,all,1"))
            #expect(mi.html.contains("Decisions per month") && csv.html.contains("decisions per officer (12 months),Amira Hassan,1"))

            // Unknown references are 404 for those who may view cases.
            #expect(try await decider.get("/cases/BB-1999-999999").status == .notFound)
        }
    }

    @Test func anotherTeamsCasesAreHiddenFromATeamConfinedOfficer() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            let scope = council.tenant.scope
            let admin = Officer(id: council.adminID, name: "Alex Morgan")
            // A group confined to its members' teams; Priya is in it and in team North.
            let groupID = try await deps.identity.groups.createGroup(
                scope, AccessGroup(name: "North officers", permissions: [.viewCase, .editCase], ownTeamsOnly: true), logger: Self.logger)
            try await deps.identity.groups.requestMembership(
                scope, userID: council.otherID, groupID: groupID, requestedBy: council.adminID, needsApproval: false, now: Date(),
                logger: Self.logger)
            try await deps.identity.groups.addTeam(scope, userID: council.otherID, team: "North", logger: Self.logger)
            try await deps.identity.groups.addTeam(scope, userID: council.adminID, team: "South", logger: Self.logger)
            var references: [String: String] = [:]
            for team in ["North", "South"] {
                let reference = try await council.world.application(for: "Applicant \(team)")
                try await deps.cases.assign(scope, reference: reference, to: nil, team: team, as: .caseworker(admin), logger: Self.logger)
                references[team] = reference
            }
            let north = try #require(references["North"])
            let south = try #require(references["South"])
            let queue = try await council.other.get("/cases?show=open")
            #expect(queue.html.contains(north) && !queue.html.contains(south))
            #expect(try await council.other.get("/cases/\(north)").status == .ok)
            // Another team's case answers as if it did not exist, for reading and for acting.
            #expect(try await council.other.get("/cases/\(south)").status == .notFound)
            try await council.other.get("/cases")
            #expect(try await council.other.post("/cases/\(south)/notes", [("note", "peek")]).status == .notFound)
            let denials = try await AuditLog.recent(database: deps.identity.database, scope: scope, deniedOnly: true, logger: Self.logger)
            #expect(denials.filter { $0.event.detail == DenialReason.outsideTeam.rawValue && $0.event.target.contains(south) }.count == 2)
        }
    }
}
