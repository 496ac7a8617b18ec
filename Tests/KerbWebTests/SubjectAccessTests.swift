import Audit
import Foundation
import HTTPTypes
import HummingbirdTesting
import KerbTestSupport
import Logging
import Testing
import ZIPFoundation

/// Subject access (issue 11, item 4): one archive for one applicant, with their records, their
/// documents and the audit of who viewed or changed them, a manifest of SHA-256 per file, and
/// nothing of anyone else. Audited; only for those who may run exports.
@Suite struct SubjectAccessTests {
    static let logger = Logger(label: "test")

    static func pdf(_ text: String) -> [UInt8] { Array("%PDF-1.7\n\(text)\n%%EOF\n".utf8) }

    @Test func theArchiveHoldsTheApplicantsRecordsAndDocumentsAndNothingOfAnotherApplicant() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let manager = try await council.signIn(as: try await council.person("Morgan Reid", groups: ["Managers"]))
            let margaret = try await council.application(for: "Margaret Oyelaran")
            let dennis = try await council.application(for: "Dennis Okafor")
            try await officer.get("/cases/\(margaret)")
            for (index, name) in ["passport.pdf", "gp-letter.pdf"].enumerated() {
                let bytes = Self.pdf("Margaret's evidence \(index)")
                #expect(
                    try await officer.upload("/cases/\(margaret)/documents", [("class", "evidence")], fileName: name, bytes: bytes).status
                        == .seeOther)
            }
            #expect(
                try await officer.upload(
                    "/cases/\(dennis)/documents", [("class", "evidence")], fileName: "dennis.pdf", bytes: Self.pdf("Dennis's evidence")
                )
                .status == .seeOther)
            #expect(
                try await officer.post("/cases/\(dennis)/notes", [("note", "Dennis Okafor called about his walking")]).status == .seeOther)

            // A case officer may not run exports: refused (and audited as such).
            #expect(try await officer.post("/cases/\(margaret)/subject-access").status == .forbidden)

            try await manager.get("/cases/\(margaret)")
            let download = try await manager.download(post: "/cases/\(margaret)/subject-access")
            #expect(download.status == .ok && download.headers[.contentType] == "application/zip")
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"subject-access-") == true)

            let zip = try ZIPFoundation.Archive(data: Data(download.bytes), accessMode: .read)
            var files: [String: Data] = [:]
            for entry in zip {
                var data = Data()
                _ = try zip.extract(entry) { data.append($0) }
                files[entry.path] = data
            }
            let record = String(decoding: try #require(files["record.json"]), as: UTF8.self)
            #expect(record.contains("Margaret Oyelaran") && record.contains(margaret))
            // Who viewed and changed her records is there: the uploads.
            #expect(record.contains("document.uploaded") && record.contains("Priya Shah"))
            // And who opened them: the manager's opening of her case, as a record view.
            let views = try #require(
                (try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])?["views"] as? [[String: Any]])
            #expect(
                views.contains {
                    $0["who"] as? String == "Morgan Reid" && $0["opened"] as? String == "case" && $0["record"] as? String == margaret
                })
            // Nothing of Dennis: not his name, his case, his note or his document.
            let everything = files.values.map { String(decoding: $0, as: UTF8.self) }.joined()
            #expect(!everything.contains("Dennis") && !everything.contains(dennis))
            let documents = files.filter { $0.key.hasPrefix("documents/") }
            #expect(documents.count == 2)
            #expect(Set(documents.values.map { Array($0) }) == Set([Self.pdf("Margaret's evidence 0"), Self.pdf("Margaret's evidence 1")]))

            let manifestData = try #require(files["manifest.json"])
            let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
            let listed = try #require(manifest["files"] as? [[String: String]])
            #expect(listed.count == files.count - 1)
            for entry in listed {
                let data = try #require(files[entry["path"] ?? ""])
                #expect(entry["sha256"] == SHA256Hex.of(Array(data)))
            }

            let audit = try await AuditLog.recent(database: deps.identity.database, scope: council.scope, limit: 50, logger: Self.logger)
            #expect(audit.contains { $0.event.action == "subject-access.exported" && $0.event.actor == "Morgan Reid" })
            #expect(audit.contains { $0.event.action == "access.denied" && $0.event.target.contains("exports.run") })
        }
    }
}
