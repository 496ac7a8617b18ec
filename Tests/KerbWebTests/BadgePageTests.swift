import Casework
import ContractFakes
import Foundation
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Logging
import NationalBlueBadge
import Payments
import Testing
import Web

/// From approval to an issued badge through the pages, by people in different groups, with the
/// real clients talking to the GOV.UK Pay and national service fakes: assigning to a named
/// colleague, recording a representative, the fee, the badge within three years, its issue, a
/// misuse report linked to it, and the figures in Reports.
@Suite struct BadgePageTests {
    static let logger = Logger(label: "test")

    static func withApp(
        _ test: @escaping @Sendable (any TestClientProtocol, WebDependencies, GovUKPayFake, NationalBlueBadgeFake) async throws -> Void
    ) async throws {
        try await withExternalFakes(localAuthority: "TESTLA", nationalToken: "page-token", payKey: "api_test_pages") { fakes in
            try await KerbTestSupport.withApp(external: fakes.services) { client, deps in
                try await test(client, deps, fakes.pay, fakes.national)
            }
        }
    }

    @Test func anApprovedApplicationGetsItsBadgeThroughThePages() async throws {
        try await Self.withApp { client, deps, pay, national in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let officer = council.other
            func colleague(_ name: String, _ groups: [String]) async throws -> Browser {
                try await council.world.signIn(as: try await council.world.person(name, groups: groups))
            }
            let decider = try await colleague("Amira Hassan", ["Decision makers"])
            let enforcer = try await colleague("Nia Roberts", ["Enforcement officers"])

            try await officer.get("/cases/new")
            let created = try await officer.post(
                "/cases/new",
                [
                    ("full-name", "Edith Marlowe"), ("date-of-birth", "14/06/1948"), ("address-line1", "12 Park Lane"), ("town", "London"),
                    ("postcode", "W1K 1AA"), ("phone", "020 7946 0110"), ("preferred-channel", "letter"), ("kind", "NEW"),
                    ("replace-reason", ""), ("channel", "PAPER"), ("eligibility", "PIP"),
                ])
            let reference = try #require(created.location?.components(separatedBy: "/cases/").last)

            // Assign to a named colleague; someone who cannot view cases is refused.
            let page = try await officer.get("/cases/\(reference)")
            #expect(page.html.contains("Assign to a colleague or team") && page.html.contains("Amira Hassan"))
            let nobody = try await officer.post("/cases/\(reference)/assign", [("assign-user", UUID().uuidString), ("assign-team", "")])
            #expect(nobody.status == .unprocessableContent && nobody.html.contains("Choose a colleague who can view cases"))
            let amira = try #require(
                page.html.components(separatedBy: "<option value=\"").first { $0.contains(">Amira Hassan<") }?.components(separatedBy: "\"")
                    .first)
            #expect(
                try await officer.post("/cases/\(reference)/assign", [("assign-user", amira), ("assign-team", "")]).status == .seeOther)
            // A representative: incomplete is refused with each problem; complete is shown.
            let incomplete = try await officer.post("/cases/\(reference)/representatives", [("rep-name", "")])
            #expect(incomplete.status == .unprocessableContent && incomplete.html.contains("Choose how they act for the applicant"))
            #expect(
                try await officer.post(
                    "/cases/\(reference)/representatives",
                    [
                        ("rep-name", "Ruth Marlowe"), ("rep-relationship", "power-of-attorney"), ("rep-may-receive", "yes"),
                        ("rep-may-discuss", "yes"),
                    ]
                ).status == .seeOther)
            let assigned = try await officer.get("/cases/\(reference)")
            #expect(assigned.html.contains("Amira Hassan") && assigned.html.contains("Ruth Marlowe"))
            #expect(assigned.html.contains("Lasting power of attorney; may receive letters, discuss the case"))

            // Approved; no badge until the fee is paid.
            try await decider.get("/cases/\(reference)")
            #expect(try await decider.post("/cases/\(reference)/decide", [("outcome", "APPROVED")]).status == .seeOther)
            let today = Day(Date())
            let unpaid = try await decider.get("/cases/\(reference)")
            // The attorney, who may receive letters, gets a copy of the approval addressed to them.
            #expect(unpaid.html.contains("Approval, copy to Ruth Marlowe (lasting power of attorney, letter)"))
            let approvals = unpaid.html.components(separatedBy: "href=\"").filter {
                $0.contains("/letters/") && $0.contains("Approval (letter)")
            }
            .compactMap { $0.components(separatedBy: "\"").first }
            #expect(approvals.count == 2)
            var bodies: [String] = []
            for path in approvals { bodies.append(try await decider.get(path).html) }
            #expect(bodies.contains { $0.contains("Dear Ruth Marlowe") && $0.contains("because you act for Edith Marlowe") })
            #expect(bodies.contains { $0.contains("Dear Edith Marlowe") && !$0.contains("because you act for") })
            #expect(unpaid.html.contains("The badge can be ordered once the fee is paid"))
            #expect(
                try await decider.post("/cases/\(reference)/badge", [("start", today.iso), ("expiry", today.adding(months: 36).iso)]).status
                    == .conflict)
            // The officer asks for the fee; the applicant pays on GOV.UK Pay.
            try await officer.get("/cases/\(reference)")
            #expect(try await officer.post("/cases/\(reference)/payment").status == .seeOther)
            let asked = try await officer.get("/cases/\(reference)")
            #expect(asked.html.contains("waiting for the applicant to pay") && asked.html.contains("Fee request (letter)"))
            let paymentID = try #require(
                asked.html.components(separatedBy: "/pay/").dropFirst().first?.components(separatedBy: "\"").first)
            #expect(pay.settle(id: paymentID, status: .success))

            // The decision maker orders the badge: beyond three years refused, within them ordered.
            try await decider.get("/cases/\(reference)")
            let tooLong = try await decider.post(
                "/cases/\(reference)/badge",
                [
                    ("start", today.iso), ("expiry", today.adding(months: 36, days: 1).iso), ("deliver-to", "HOME"),
                    ("delivery-option", "STAND"),
                ])
            #expect(tooLong.status == .unprocessableContent && tooLong.html.contains("A Blue Badge lasts at most 3 years"))
            let ordered = try await decider.post(
                "/cases/\(reference)/badge",
                [("start", today.iso), ("expiry", today.adding(months: 36).iso), ("deliver-to", "HOME"), ("delivery-option", "STAND")])
            #expect(ordered.status == .seeOther)
            let withBadge = try await decider.get("/cases/\(reference)")
            let number = try #require(
                withBadge.html.components(separatedBy: "/badges/").dropFirst().first?.components(separatedBy: "\"").first)
            #expect(BadgeNumber.isValid(number) && national.badge(number)?.statusCode == "ORDERED")
            #expect(withBadge.html.contains("paid") && withBadge.html.contains("Badge ordered (letter)"))
            let badgePage = try await decider.get("/badges/\(number)")
            #expect(badgePage.status == .ok && badgePage.html.contains("Ordered") && badgePage.html.contains("Edith Marlowe"))
            #expect(try await decider.post("/badges/\(number)/issued").status == .seeOther)
            #expect(try await decider.get("/badges/\(number)").html.contains("Issued"))
            // Found by its number in search.
            #expect(try await officer.get("/cases?q=\(number)").html.contains(reference))

            // A misuse report on that badge is linked to it.
            try await enforcer.get("/enforcement/new")
            let report = try await enforcer.post(
                "/enforcement/new",
                [
                    ("badge-number", number.lowercased()), ("location", "Marylebone Road bay 4"), ("vehicle-registration", "AB12 CDE"),
                    ("observation", "Driver walked away briskly; holder not present"), ("reported-by", "CEO 12"),
                ])
            #expect(report.status == .seeOther)
            let enforcement = try await enforcer.get(try #require(report.location))
            #expect(enforcement.html.contains("/badges/\(number)") && enforcement.html.contains("Edith Marlowe"))
            // The officer without enforcement permission cannot see it.
            #expect(try await officer.get(try #require(report.location)).status == .forbidden)

            // A manager's figures count the decision and show where it came from.
            let reports = try await council.admin.get("/mi")
            #expect(reports.html.contains("Decisions per month") && reports.html.contains("Amira Hassan"))
        }
    }
}
