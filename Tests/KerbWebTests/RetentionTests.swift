import Audit
import Casework
import Documents
import Foundation
import HummingbirdTesting
import KerbTestSupport
import Logging
import Policy
import Testing

/// Retention (issue 11, item 5, documents): the dry run lists, and the pass removes, exactly the
/// documents of cases decided longer ago than local policy keeps them, none with a review open;
/// the removal is on each case's timeline and in the audit trail, and the blobs go too.
@Suite struct RetentionTests {
    static let logger = Logger(label: "test")

    @Test func retentionRemovesExactlyWhatIsPastItsPeriod() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let admin = try await council.signIn(as: council.admin)
            var made: [String: String] = [:]
            for name in ["old", "recent", "open", "reviewed"] {
                let reference = try await council.application(for: "Applicant \(name.capitalized)")
                made[name] = reference
                try await officer.get("/cases/\(reference)")
                let bytes = Array("%PDF-1.7\n\(name)\n%%EOF\n".utf8)
                #expect(
                    try await officer.upload(
                        "/cases/\(reference)/documents", [("class", "evidence")], fileName: "\(name).pdf", bytes: bytes
                    )
                    .status == .seeOther)
            }
            // Decided 25 months ago (past 24), 23 months ago (not yet), still open, and decided 30
            // months ago but with a review open.
            let references = made
            try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(council.scope)
                for (name, months) in [("old", "25"), ("recent", "23"), ("reviewed", "30")] {
                    try session.query(
                        "UPDATE applications SET status = 'REFUSED', decided_at = now() - ($2 || ' months')::interval WHERE reference = $1",
                        [references[name], months])
                }
                try session.query(
                    """
                    INSERT INTO reviews (application_id, requested_at, due_on, status)
                    SELECT id, now(), current_date + 5, 'OPEN' FROM applications WHERE reference = $1
                    """, [references["reviewed"]])
            }
            let policy = LocalPolicyDocument.Retention.standard
            let due = try await deps.retention.due(council.scope, policy: policy, logger: Self.logger)
            #expect(due.map(\.reference) == [references["old"]] && due.map(\.fileName) == ["old.pdf"])
            let page = try await admin.get("/admin/retention")
            #expect(page.status == .ok && page.html.contains(references["old"] ?? "-") && !page.html.contains(references["recent"] ?? "-"))

            let system = try await SystemActor.actor(deps.identity.database, council.scope, logger: Self.logger)
            let removed = try await deps.retention.apply(council.scope, policy: policy, as: system, logger: Self.logger)
            #expect(removed == due)
            let left = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(council.scope)
                return try session.query("SELECT file_name FROM documents ORDER BY file_name").map { $0[0] ?? "" }
            }
            #expect(left == ["open.pdf", "recent.pdf", "reviewed.pdf"])
            let blobs = try await TestDatabase.vault.blobs.list(council.scope.schema).map(\.name)
            #expect(blobs.count == 3 && !blobs.contains(removed[0].id.uuidString.lowercased()))
            let file = try await deps.cases.file(
                council.scope, reference: references["old"] ?? "", as: system, logger: Self.logger)
            #expect(file.events.contains { $0.kind == "retention" } && file.documents.isEmpty)
            let audit = try await AuditLog.recent(database: deps.identity.database, scope: council.scope, limit: 20, logger: Self.logger)
            #expect(audit.contains { $0.event.action == "retention.documents-removed" && $0.event.detail.hasPrefix("1 past 24 months") })
            // A second pass finds nothing more.
            #expect(try await deps.retention.apply(council.scope, policy: policy, as: system, logger: Self.logger).isEmpty)
        }
    }
}
