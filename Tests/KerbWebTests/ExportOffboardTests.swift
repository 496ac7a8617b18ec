import Documents
import Foundation
import HummingbirdTesting
import KerbTestSupport
import Logging
import Storage
import Tenancy
import Testing
import Web

/// A council's full export and offboarding (issue 11, item 6): the export verifies against the
/// live data, a tampered one does not, offboarding refuses without an export verified since the
/// council's last change, and afterwards nothing of the council is left but its certificate.
@Suite struct ExportOffboardTests {
    static let logger = Logger(label: "test")

    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kerb-export-\(UUID().uuidString)", isDirectory: true)
    }

    @Test func anExportVerifiesATamperedOneDoesNotAndOffboardingLeavesOnlyTheCertificate() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.person("Priya Shah", groups: ["Case officers"])
            let (reference, documentID) = try await CouncilKeyTests.caseWithDocument(council, by: officer)
            let slug = council.tenant.slug.rawValue
            let lifecycle = try await TestDatabase.lifecycle()
            let exporter = TenantExport(lifecycle: lifecycle, blobs: TestDatabase.vault.blobs)

            await #expect(throws: TenancyError.offboardNeedsVerifiedExport(slug)) {
                _ = try await lifecycle.offboard(slug, actor: "test", blobs: TestDatabase.vault.blobs)
            }

            let first = Self.folder()
            defer { try? FileManager.default.removeItem(at: first) }
            let summary = try await exporter.export(slug, to: first, actor: "test")
            let applications = try #require(summary.manifest.tables.first { $0.name == "applications" })
            #expect(applications.rows == 1)
            #expect(summary.manifest.tables.contains { $0.name == "audit_events" && $0.rows > 0 })
            let csv = try String(contentsOf: first.appendingPathComponent(applications.csv.path), encoding: .utf8)
            #expect(csv.hasPrefix("\"id\",") && csv.contains(reference))
            let document = try #require(summary.manifest.documents.first)
            #expect(document.id == documentID.uuidString.lowercased())
            #expect(Array(try Data(contentsOf: first.appendingPathComponent(document.file.path))) == CouncilKeyTests.pdf)
            // Offboarding needs the export verified, not only written.
            await #expect(throws: TenancyError.offboardNeedsVerifiedExport(slug)) {
                _ = try await lifecycle.offboard(slug, actor: "test", blobs: TestDatabase.vault.blobs)
            }

            // A copy with one changed byte fails; so does a changed manifest.
            let tampered = Self.folder()
            defer { try? FileManager.default.removeItem(at: tampered) }
            try FileManager.default.copyItem(at: first, to: tampered)
            let tamperedCSV = tampered.appendingPathComponent(applications.csv.path)
            try Data(csv.replacingOccurrences(of: reference, with: "BB-2026-999999").utf8).write(to: tamperedCSV)
            await #expect {
                _ = try await exporter.verify(tampered, actor: "test")
            } throws: { error in
                guard case TenancyError.exportDoesNotVerify(let problems) = error else { return false }
                return problems == ["\(applications.csv.path) has changed"]
            }
            let manifestURL = tampered.appendingPathComponent("manifest.json")
            try (try Data(contentsOf: manifestURL) + Data(" ".utf8)).write(to: manifestURL)
            await #expect {
                _ = try await exporter.verify(tampered, actor: "test")
            } throws: { error in
                if case TenancyError.exportNotRecognised = error { return true }
                return false
            }

            _ = try await exporter.verify(first, actor: "test")

            // A change after the export: the export no longer matches, and offboarding refuses.
            let browser = try await council.signIn(as: officer)
            try await browser.get("/cases/\(reference)")
            #expect(try await browser.post("/cases/\(reference)/notes", [("note", "Called the applicant")]).status == .seeOther)
            await #expect(throws: TenancyError.offboardNeedsVerifiedExport(slug)) {
                _ = try await lifecycle.offboard(slug, actor: "test", blobs: TestDatabase.vault.blobs)
            }
            await #expect {
                _ = try await exporter.verify(first, actor: "test")
            } throws: { error in
                guard case TenancyError.exportDoesNotVerify(let problems) = error else { return false }
                return problems.contains { $0.hasPrefix("table application_notes has 1 rows now") }
            }

            let second = Self.folder()
            defer { try? FileManager.default.removeItem(at: second) }
            _ = try await exporter.export(slug, to: second, actor: "test")
            _ = try await exporter.verify(second, actor: "test")
            let certificate = try await lifecycle.offboard(slug, actor: "test", blobs: TestDatabase.vault.blobs, settle: .zero)
            #expect(certificate.text.contains("schema \(council.scope.schema)") && certificate.text.contains("1 documents"))

            // Nothing of the council is left: schema, roles, documents, keys, hostnames.
            #expect(try await TestDatabase.adminQuery("SELECT 1 FROM pg_namespace WHERE nspname = $1", [council.scope.schema]).isEmpty)
            #expect(
                try await TestDatabase.adminQuery(
                    "SELECT 1 FROM pg_roles WHERE rolname IN ($1, $2)", [council.scope.ownerRole, council.scope.requestRole]
                ).isEmpty)
            #expect(try await TestDatabase.vault.blobs.list(council.scope.schema).isEmpty)
            let blobs = try #require(TestDatabase.vault.blobs as? FolderBlobStore)
            #expect(!FileManager.default.fileExists(atPath: blobs.root.appendingPathComponent(council.scope.schema).path))
            #expect(
                try await TestDatabase.adminQuery(
                    "SELECT 1 FROM kerb_control.council_keys WHERE schema_name = $1 AND wrapped IS NOT NULL", [council.scope.schema]
                ).isEmpty)
            #expect(
                try await TestDatabase.adminQuery(
                    "SELECT status FROM kerb_control.tenants WHERE slug = $1", [slug]) == [["offboarded"]])
            #expect(
                try await TestDatabase.adminQuery(
                    "SELECT count(*) FROM kerb_control.deletion_certificates d JOIN kerb_control.tenants t ON t.id = d.tenant_id WHERE t.slug = $1",
                    [slug]) == [["1"]])
            // Its address answers like one that never existed (once this process's directory
            // forgets it; `settle` gives every process that time before the schema goes).
            deps.tenants.invalidate()
            #expect(try await client.execute(uri: "/t/\(slug)/sign-in", method: .get).status == .notFound)
            // Offboarding twice is refused.
            await #expect(throws: TenancyError.wrongStatus(slug: slug, status: "offboarded", wanted: "active or suspended")) {
                _ = try await lifecycle.offboard(slug, actor: "test", blobs: TestDatabase.vault.blobs)
            }
        }
    }
}
