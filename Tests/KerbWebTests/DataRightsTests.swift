import Audit
import Casework
import Foundation
import HummingbirdTesting
import KerbTestSupport
import Logging
import Policy
import Storage
import Testing

/// Rectification, erasure and retention by record class (issue 11, item 5), through the pages
/// and the scheduled pass, against the real database.
@Suite struct DataRightsTests {
    static let logger = Logger(label: "test")

    /// Columns of a council's row, read as the request role (what the app itself would see).
    static func row(_ scope: TenantScope, _ sql: StaticString, _ parameters: [String?]) async throws -> [String?] {
        try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(scope)
            return try session.query(sql, parameters).first ?? []
        }
    }

    static func run(_ scope: TenantScope, _ sql: StaticString, _ parameters: [String?]) async throws {
        _ = try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(scope)
            try session.query(sql, parameters)
        }
    }

    static let person: StaticString = """
        SELECT p.full_name, p.postcode, p.nino, p.address_line1, p.erased_at IS NOT NULL FROM people p
        JOIN applications a ON a.person_id = p.id WHERE a.reference = $1
        """

    @Test func aCorrectionKeepsTheOldValueTheReasonAndWhoAndTheAuditNamesFieldsNotValues() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let reference = try await council.application(for: "Margaret Oyelaran")
            let page = try await officer.get("/cases/\(reference)/applicant")
            #expect(page.status == .ok && page.html.contains("Margaret Oyelaran") && page.html.contains("Correct the details"))
            let fields: [(String, String)] = [
                ("full-name", "Margaret Oyelaran-Reid"), ("date-of-birth", "03/04/1961"), ("nino", ""),
                ("address-line1", "1 Example Street"), ("address-line2", ""), ("town", "London"), ("postcode", "sw1a 2aa"),
                ("email", ""), ("phone", ""),
            ]
            // No reason, a malformed postcode, or nothing changed: refused, nothing stored.
            #expect(
                try await officer.post("/cases/\(reference)/applicant", fields + [("rectify-reason", "")]).status == .unprocessableContent)
            var bad = fields
            bad[6] = ("postcode", "NOT A POSTCODE")
            #expect(
                try await officer.post("/cases/\(reference)/applicant", bad + [("rectify-reason", "Moved")]).status == .unprocessableContent
            )
            #expect(try await Self.row(council.scope, Self.person, [reference]).prefix(2) == ["Margaret Oyelaran", "SW1A 1AA"])

            let saved = try await officer.post(
                "/cases/\(reference)/applicant", fields + [("rectify-reason", "Married; letter from the applicant dated 28/11/2026")])
            #expect(saved.status == .seeOther)
            #expect(try await Self.row(council.scope, Self.person, [reference]).prefix(2) == ["Margaret Oyelaran-Reid", "SW1A 2AA"])
            let history = try await officer.get("/cases/\(reference)/applicant")
            #expect(history.html.contains("Margaret Oyelaran") && history.html.contains("Married; letter from the applicant"))
            #expect(history.html.contains("Priya Shah"))
            let same = try await officer.post(
                "/cases/\(reference)/applicant", fields + [("rectify-reason", "Again")])
            #expect(same.status == .unprocessableContent && same.html.contains("Nothing was changed"))

            let audit = try await AuditLog.recent(database: deps.identity.database, scope: council.scope, logger: Self.logger)
            let entry = try #require(audit.first { $0.event.action == "person.rectify" })
            #expect(entry.event.detail.contains("fields full_name,postcode ") && !entry.event.detail.contains("Oyelaran"))
            let file = try await deps.cases.file(council.scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.events.contains { $0.kind == "rectified" } && file.applicantName == "Margaret Oyelaran-Reid")

            // Someone who may only read cases sees the page but cannot correct.
            let reader = try await council.signIn(as: try await council.person("Sam Reader", groups: ["Auditors"]))
            #expect(try await reader.post("/cases/\(reference)/applicant", fields + [("rectify-reason", "x")]).status == .forbidden)
        }
    }

    @Test func erasureWaitsUntilTheLawAllowsThenTakesTheirDetailsAndNothingOfAnyoneElse() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let manager = try await council.signIn(as: try await council.person("Morgan Reid", groups: ["Managers"]))
            let margaret = try await council.application(for: "Margaret Oyelaran")
            let dennis = try await council.application(for: "Dennis Okafor")
            try await officer.get("/cases/\(margaret)")
            #expect(
                try await officer.upload(
                    "/cases/\(margaret)/documents", [("class", "evidence")], fileName: "gp.pdf", bytes: Array("%PDF-1.7\nx\n%%EOF\n".utf8)
                ).status == .seeOther)
            #expect(try await officer.post("/cases/\(margaret)/notes", [("note", "Margaret called about her hip")]).status == .seeOther)

            // A case officer may not erase; a manager may, but not while her application is open.
            try await officer.get("/cases/\(margaret)/applicant")
            #expect(try await officer.post("/cases/\(margaret)/erase", [("erase-reason", "Asked")]).status == .forbidden)
            try await manager.get("/cases/\(margaret)/applicant")
            let refused = try await manager.post("/cases/\(margaret)/erase", [("erase-reason", "Applicant's request of 1/12/2026")])
            #expect(refused.status == .conflict && refused.html.contains("an application of theirs is still open"))
            #expect(try await Self.row(council.scope, Self.person, [margaret]).first == "Margaret Oyelaran")

            try await Self.run(
                council.scope, "UPDATE applications SET status = 'WITHDRAWN', decided_at = now() WHERE reference = $1", [margaret])
            let erased = try await manager.post("/cases/\(margaret)/erase", [("erase-reason", "Applicant's request of 1/12/2026")])
            #expect(erased.status == .seeOther)
            #expect(try await Self.row(council.scope, Self.person, [margaret]) == ["Erased person", "", nil, "", "t"])
            let left = try await Self.row(
                council.scope,
                """
                SELECT (SELECT count(*) FROM documents d JOIN applications a ON a.id = d.application_id WHERE a.reference = $1)::text,
                       (SELECT string_agg(n.body, '|') FROM application_notes n JOIN applications a ON a.id = n.application_id
                        WHERE a.reference = $1)
                """, [margaret])
            #expect(left == ["0", "[erased]"])
            #expect(try await TestDatabase.vault.blobs.list(council.scope.schema).isEmpty)
            // Dennis is untouched; the audit trail says what happened without her details.
            #expect(try await Self.row(council.scope, Self.person, [dennis]).first == "Dennis Okafor")
            let audit = try await AuditLog.recent(database: deps.identity.database, scope: council.scope, logger: Self.logger)
            #expect(audit.contains { $0.event.action == "person.erased" && $0.event.detail.contains("1 documents removed") })
            // Erased once: a second erasure, or a correction, has nothing to work on.
            #expect(try await manager.post("/cases/\(margaret)/erase", [("erase-reason", "Again")]).status == .conflict)
        }
    }

    @Test func retentionAnonymisesEachClassPastItsPeriodAndErasesApplicantsWithNothingLeft() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let admin = try await council.signIn(as: council.admin)
            var made: [String: String] = [:]
            for name in ["Refused Long Ago", "Refused Lately", "Badge Ended", "Badge Live"] {
                made[name] = try await council.application(for: name)
            }
            let refs = made
            try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(council.scope)
                for (name, status, months) in [
                    ("Refused Long Ago", "REFUSED", "25"), ("Refused Lately", "REFUSED", "23"), ("Badge Ended", "APPROVED", "80"),
                    ("Badge Live", "APPROVED", "6"),
                ] {
                    try session.query(
                        """
                        UPDATE applications SET status = $2, decided_at = now() - ($3 || ' months')::interval WHERE reference = $1
                        """, [refs[name], status, months])
                }
                // A badge that ended 37 months ago (past 36) and one still live.
                for (name, number, start) in [("Badge Ended", "ABCDE1", "76"), ("Badge Live", "ABCDE2", "5")] {
                    try session.query(
                        """
                        INSERT INTO badges (badge_number, application_id, person_id, eligibility, start_date, expiry_date, deliver_to, status,
                            ordered_at)
                        SELECT $2, a.id, a.person_id, 'WALKING', (current_date - ($3 || ' months')::interval)::date,
                            (current_date - ($3 || ' months')::interval + interval '36 months' - interval '1 day')::date, 'HOME', 'ISSUED', now()
                        FROM applications a WHERE a.reference = $1
                        """, [refs[name], number, start])
                }
                for (reference, months) in [("EN-OLD", "73"), ("EN-NEW", "10")] {
                    try session.query(
                        """
                        INSERT INTO enforcement_cases (reference, reported_badge, reported_at, reported_by, location, vehicle_registration,
                            observation, status, outcome, outcome_rationale, closed_at)
                        VALUES ($1, 'ZZZZZZ', now() - interval '7 years', 'PC Jones', 'High Street', 'AB12 CDE', 'Seen parked', 'CLOSED',
                            'WARNING', 'First offence', now() - ($2 || ' months')::interval)
                        """, [reference, months])
                }
            }
            let policy = LocalPolicyDocument.Retention.standard
            let due = try await deps.recordRetention.due(council.scope, policy: policy, logger: Self.logger)
            let listed = Set(due.map { "\($0.kind.rawValue) \($0.kind == .person ? "of " : "")\($0.reference)" })
            #expect(
                listed == [
                    "application \(refs["Refused Long Ago"] ?? "")", "application \(refs["Badge Ended"] ?? "")", "enforcement EN-OLD",
                    "person of \(refs["Refused Long Ago"] ?? "")", "person of \(refs["Badge Ended"] ?? "")",
                ])
            let page = try await admin.get("/admin/retention")
            #expect(page.status == .ok && page.html.contains("EN-OLD") && !page.html.contains("EN-NEW"))

            let system = try await SystemActor.actor(deps.identity.database, council.scope, logger: Self.logger)
            let applied = try await deps.recordRetention.apply(council.scope, policy: policy, as: system, logger: Self.logger)
            #expect(Set(applied.map(\.id)) == Set(due.map(\.id)))
            #expect(try await Self.row(council.scope, Self.person, [refs["Refused Long Ago"]]).first == "Erased person")
            #expect(try await Self.row(council.scope, Self.person, [refs["Badge Ended"]]).first == "Erased person")
            #expect(try await Self.row(council.scope, Self.person, [refs["Refused Lately"]]).first == "Refused Lately")
            #expect(try await Self.row(council.scope, Self.person, [refs["Badge Live"]]).first == "Badge Live")
            let enforcement = try await Self.row(
                council.scope,
                "SELECT string_agg(reference || ':' || location || ':' || vehicle_registration, ',' ORDER BY reference) FROM enforcement_cases",
                [])
            #expect(enforcement == ["EN-NEW:High Street:AB12 CDE,EN-OLD:[erased]:"])
            let audit = try await AuditLog.recent(database: deps.identity.database, scope: council.scope, logger: Self.logger)
            #expect(audit.contains { $0.event.action == "retention.person-anonymised" && $0.event.detail.hasPrefix("2 past") })
            // A second pass finds nothing more.
            #expect(try await deps.recordRetention.apply(council.scope, policy: policy, as: system, logger: Self.logger).isEmpty)
        }
    }
}
