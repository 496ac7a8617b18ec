import Foundation
import HummingbirdTesting
import KerbTestSupport
import Logging
import Testing

/// The audit page's filters (issue 11, item 3): by who acted, by record, by day; values matched
/// literally (a `%` finds only a `%`), a malformed day or an over-long value refused with 422.
@Suite struct AuditFilterTests {
    @Test func theTrailNarrowsByWhoRecordAndDay() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let auditor = try await council.signIn(as: try await council.person("Ola Auditor", groups: ["Auditors"]))
            let first = try await council.application(for: "Margaret Oyelaran")
            let second = try await council.application(for: "Dennis Okafor")
            try await officer.get("/cases/\(first)")
            #expect(try await officer.post("/cases/\(first)/notes", [("note", "Called")]).status == .seeOther)
            #expect(try await officer.post("/cases/\(second)/assign-to-me").status == .seeOther)

            let byRecord = try await auditor.get("/admin/audit?audit-record=\(first)")
            #expect(byRecord.status == .ok && byRecord.html.contains("case.note") && !byRecord.html.contains(second))
            let byWho = try await auditor.get("/admin/audit?audit-who=priya")
            #expect(byWho.html.contains(first) && byWho.html.contains(second) && !byWho.html.contains("users.invite"))
            let today = ISO8601DateFormatter.string(
                from: Date(), timeZone: TimeZone(identifier: "Europe/London") ?? .gmt, formatOptions: [.withFullDate])
            #expect(try await auditor.get("/admin/audit?audit-from=\(today)&audit-to=\(today)").html.contains(first))
            let future = try await auditor.get("/admin/audit?audit-from=2999-01-01")
            #expect(future.status == .ok && !future.html.contains(first))
            // Matched literally: a wildcard finds nothing.
            #expect(!(try await auditor.get("/admin/audit?audit-record=%25")).html.contains(first))
            let bad = try await auditor.get("/admin/audit?audit-from=31/12/2026")
            #expect(bad.status == .unprocessableContent && bad.html.contains("Enter the day as YYYY-MM-DD"))
            let long = try await auditor.get("/admin/audit?audit-who=\(String(repeating: "a", count: 201))")
            #expect(long.status == .unprocessableContent)
            // Officers may not read the trail.
            #expect(try await officer.get("/admin/audit?audit-record=\(first)").status == .forbidden)
        }
    }
}
