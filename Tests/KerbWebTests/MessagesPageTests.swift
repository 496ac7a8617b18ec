import Casework
import Foundation
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Logging
import Testing
import Web

/// Issue 12, items 5 and 6 through the pages: the messages page, a bulk send previewed with a
/// count and samples, started, its progress shown, and cancelled; only those who send messages
/// reach any of it.
@Suite struct MessagesPageTests {
    static let logger = Logger(label: "test")

    @Test func aBulkSendIsPreviewedStartedFollowedAndCancelled() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let scope = council.world.tenant.scope
            try await SyntheticHolders.insert(deps.identity.database, scope, count: 30, logger: Self.logger)
            let officer = council.other
            let page = try await officer.get("/messages")
            #expect(page.status == .ok && page.html.contains("Send to many") && page.html.contains("GOV.UK Notify is not set up"))
            #expect(page.html.contains("No message has failed"))

            let preview = try await officer.post("/messages/bulk/preview", [("selection", "expiring-badges")])
            #expect(preview.status == .ok && preview.html.contains("30 people") && preview.html.contains("Example: Holder"))
            #expect(try await officer.post("/messages/bulk/preview", [("selection", "everyone")]).status == .unprocessableContent)
            // The preview wrote nothing.
            #expect(try await deps.bulkMail.sends(scope, logger: Self.logger).isEmpty)

            #expect(try await officer.post("/messages/bulk", [("selection", "expiring-badges")]).status == .seeOther)
            #expect(try await officer.get("/messages").html.contains("Preparing: 0 of 30 sent (0%), 0 prepared"))
            try await deps.bulkMail.continue(scope, batch: 10, limit: 10, logger: Self.logger)
            let progress = try await officer.get("/messages")
            #expect(progress.html.contains("Preparing: 0 of 30 sent (0%), 10 prepared"))
            #expect(progress.html.contains(#"<progress class="kerb-progress" max="30" value="0" aria-label="Sent so far"></progress>"#))
            let cancel = try #require(
                progress.html.components(separatedBy: "action=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
                    .first { $0.hasSuffix("/cancel") })
            #expect(try await officer.post(String(cancel.dropFirst(officer.base.count))).status == .seeOther)
            let cancelled = try await officer.get("/messages")
            #expect(cancelled.html.contains("Cancelled: 0 of 30 sent (0%), 10 prepared, 0 to act on, 10 cancelled"))
            try await deps.bulkMail.continue(scope, logger: Self.logger)
            #expect(try await deps.bulkMail.sends(scope, logger: Self.logger).first?.written == 10)

            // A letter on a case prints in large print on request.
            let reference = try await council.world.application(for: "Ruth Adeyemi", eligibility: .blind)
            let casePage = try await officer.get("/cases/\(reference)")
            let letter = try #require(
                casePage.html.components(separatedBy: "href=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
                    .first { $0.contains("/letters/") })
            let path = String(letter.dropFirst(await officer.base.count))
            let standard = try await officer.get(path)
            #expect(standard.status == .ok && !standard.html.contains("kerb-letter--large") && standard.html.contains(">Large print<"))
            let large = try await officer.get(path + "?print=large")
            #expect(large.html.contains("kerb-letter kerb-letter--large") && large.html.contains(">Standard print<"))
            #expect(large.html.contains("Dear Ruth Adeyemi") && large.html.contains("SW1A"))

            // The administrator's groups do not send messages: refused, and no link to the page.
            #expect(try await council.admin.get("/messages").status == .forbidden)
            #expect(try await council.admin.post("/messages/bulk", [("selection", "expiring-badges")]).status == .forbidden)
            #expect(!(try await council.admin.get("/").html.contains("/messages\"")))
        }
    }
}
