import Audit
import Casework
import Crypto
import Documents
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import KerbCore
import KerbTestSupport
import Logging
import Storage
import Testing
import Web

/// Documents on a case through the pages (issue 11, item 1): uploaded as multipart with the CSRF
/// token before the file, typed by content, limited by policy, stored encrypted, listed on the
/// case, downloaded as an attachment, and every upload and opening audited.
@Suite struct DocumentPageTests {
    static let logger = Logger(label: "test")
    /// A small PDF: its bytes are what the store must never hold in the clear.
    static let pdf = Array("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nMargaret Oyelaran blue badge evidence\n%%EOF\n".utf8)

    static func documentRows(_ scope: TenantScope) async throws -> [[String?]] {
        try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(scope)
            return try session.query("SELECT id::text, file_name, content_type, byte_count::text, encode(sha256, 'hex') FROM documents")
        }
    }

    static func blobFolder(_ scope: TenantScope) throws -> URL {
        let store = try #require(TestDatabase.vault.blobs as? FolderBlobStore)
        return store.root.appendingPathComponent(scope.schema)
    }

    static func blobNames(_ scope: TenantScope) throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: try blobFolder(scope).path)) ?? []).filter { !$0.hasPrefix(".") }
    }

    @Test func anOfficerUploadsAPDFThatIsStoredEncryptedListedDownloadedAndAudited() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let reference = try await council.world.application()
            let officer = council.other
            try await officer.get("/cases/\(reference)")
            let uploaded = try await officer.upload(
                "/cases/\(reference)/documents", [("class", "identity")], fileName: "../../passport \u{202E}fdp.exe", bytes: Self.pdf)
            #expect(uploaded.status == .seeOther)

            let rows = try await Self.documentRows(council.tenant.scope)
            let row = try #require(rows.first)
            #expect(rows.count == 1)
            #expect(row[2] == "application/pdf" && row[3] == String(Self.pdf.count))
            // The client's name lost its folders and its right-to-left override; the type's extension was added.
            let name = try #require(row[1])
            #expect(!name.contains("/") && !name.contains("\u{202E}") && name.hasSuffix(".pdf") && name.hasPrefix("passport"))
            #expect(row[4] == SHA256Hex.of(Self.pdf))

            // On disk: one blob, named by the document, without the plaintext.
            let id = try #require(row[0])
            #expect(try Self.blobNames(council.tenant.scope) == [id])
            let onDisk = try Data(contentsOf: try Self.blobFolder(council.tenant.scope).appendingPathComponent(id))
            #expect(onDisk.range(of: Data("Margaret Oyelaran".utf8)) == nil && onDisk.range(of: Data("%PDF".utf8)) == nil)

            let page = try await officer.get("/cases/\(reference)")
            #expect(page.html.contains(name) && page.html.contains("Proof of identity"))
            let download = try await officer.download("/cases/\(reference)/documents/\(id)")
            #expect(download.status == .ok && download.bytes == Self.pdf)
            #expect(download.headers[.contentType] == "application/pdf")
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"passport") == true)
            #expect(download.headers[.xContentTypeOptions] == "nosniff")
            #expect(download.headers[.cacheControl] == "no-store")
            #expect(download.headers[values: .contentSecurityPolicy].contains("sandbox; default-src 'none'"))

            let audit = try await AuditLog.recent(
                database: deps.identity.database, scope: council.tenant.scope, limit: 50, logger: Self.logger)
            #expect(
                audit.contains { $0.event.action == "document.uploaded" && $0.event.actor == "Priya Shah" && $0.event.target == reference })
            let views = try await ViewLog.search(
                database: deps.identity.database, scope: council.tenant.scope, AuditLog.Filter(record: id), logger: Self.logger)
            #expect(views.map(\.view.kind) == [.document] && views.first?.viewer.actor == "Priya Shah")
        }
    }

    @Test func refusedUploadsKeepNothing() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let reference = try await council.world.application()
            let officer = council.other
            try await officer.get("/cases/\(reference)")
            let path = "/cases/\(reference)/documents"

            // A wrong CSRF token: refused before a byte of the file is kept.
            let forged = try await officer.upload(path, [("class", "evidence")], fileName: "a.pdf", bytes: Self.pdf, csrf: "forged")
            #expect(forged.status == .forbidden)
            // HTML sent as a PDF: the content decides.
            let html = Array("<html><script>alert(1)</script></html>".utf8)
            let disguised = try await officer.upload(path, [("class", "evidence")], fileName: "evidence.pdf", bytes: html)
            #expect(disguised.status == .unsupportedMediaType && disguised.html.contains("PDF, JPEG, PNG or HEIC"))
            // No class chosen, and an empty file.
            #expect(try await officer.upload(path, [("class", "")], fileName: "a.pdf", bytes: Self.pdf).status == .unprocessableContent)
            #expect(try await officer.upload(path, [("class", "evidence")], fileName: "a.pdf", bytes: []).status == .unprocessableContent)
            // Past the council's limit (1 MB here): 413, and the partial blob is gone.
            let policy = try await deps.identity.policies.current(council.tenant.scope, logger: Self.logger)
            var smaller = policy.document
            smaller.documents.maxMegabytes = 1
            try await deps.identity.policies.change(
                council.tenant.scope, to: smaller, reason: "Smaller uploads", actor: council.world.adminEvent, logger: Self.logger)
            let big = Self.pdf + [UInt8](repeating: 0x41, count: 1_100_000)
            let tooBig = try await officer.upload(path, [("class", "evidence")], fileName: "big.pdf", bytes: big)
            #expect(tooBig.status == .contentTooLarge && tooBig.html.contains("1 MB or smaller"))
            // A multipart body to a route that takes a form: refused, not a way around the CSRF check.
            #expect(
                try await officer.upload("/cases/\(reference)/assign-to-me", [], fileName: "a.pdf", bytes: Self.pdf, csrf: "forged").status
                    == .unsupportedMediaType)

            #expect(try await Self.documentRows(council.tenant.scope).isEmpty)
            #expect(try Self.blobNames(council.tenant.scope).isEmpty)
            let folder = try Self.blobFolder(council.tenant.scope).path
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty)
        }
    }

    @Test func anotherTeamsOrCouncilsDocumentAnswersLikeAMissingOne() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let reference = try await council.world.application()
            try await council.other.get("/cases/\(reference)")
            #expect(
                try await council.other.upload("/cases/\(reference)/documents", [("class", "evidence")], fileName: "e.pdf", bytes: Self.pdf)
                    .status == .seeOther)
            let id = try #require(try await Self.documentRows(council.tenant.scope).first?[0])

            // Another council's officer, with the same reference and document id.
            let other = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let theirs = try await other.world.application()
            let foreign = try await other.other.download("/cases/\(reference)/documents/\(id)")
            let missing = try await other.other.download("/cases/\(reference)/documents/\(UUID().uuidString.lowercased())")
            #expect(foreign.status == .notFound && missing.status == .notFound)
            // Their own case with this council's document id: no such document on their case.
            #expect(try await other.other.download("/cases/\(theirs)/documents/\(id)").status == .notFound)
            #expect(foreign.bytes.count == missing.bytes.count)
        }
    }
}

extension DocumentPageTests {
    /// The API's upload and download: the same use case, the body streamed, the type read from
    /// the content whatever Content-Type claims, and the key's permissions deciding.
    /// Review and badge evidence goes to the stage chosen; an enforcement case takes
    /// photographs, stored encrypted like the rest, opened only by enforcement officers (logged),
    /// and another enforcement case's photograph answers like a missing one.
    @Test func reviewBadgeAndEnforcementPagesTakeDocumentsToo() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let enforcer = try await council.signIn(as: try await council.person("Chris Bell", groups: ["Enforcement officers"]))
            let reference = try await council.application()
            let page = try await officer.get("/cases/\(reference)")
            #expect(page.html.contains("The review of the decision") && page.html.contains("name=\"stage\""))
            #expect(
                try await officer.upload(
                    "/cases/\(reference)/documents", [("class", "correspondence"), ("stage", "review")], fileName: "review.pdf",
                    bytes: Self.pdf
                ).status == .seeOther)
            let file = try await deps.cases.file(council.scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.documents.map(\.stage) == [.review])

            var cases: [String] = []
            for bay in ["bay 4", "bay 9"] {
                try await enforcer.get("/enforcement/new")
                let report = try await enforcer.post(
                    "/enforcement/new",
                    [
                        ("badge-number", "ZZ1234"), ("location", "Marylebone Road \(bay)"), ("vehicle-registration", "AB12 CDE"),
                        ("observation", "Holder not present"), ("reported-by", "CEO 12"),
                    ])
                cases.append(try #require(report.location))
            }
            let photo: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array("JFIF photo of the windscreen".utf8) + [0xFF, 0xD9]
            #expect(
                try await enforcer.upload("\(cases[0])/documents", [("class", "photo")], fileName: "windscreen.jpg", bytes: photo).status
                    == .seeOther)
            let shown = try await enforcer.get(cases[0])
            let link = try #require(shown.html.firstMatch(of: #/href="[^"]*/documents/([0-9a-f-]{36})"/#)?.1)
            let id = String(link)
            let onDisk = try Data(contentsOf: try Self.blobFolder(council.scope).appendingPathComponent(id))
            #expect(onDisk.range(of: Data("JFIF photo".utf8)) == nil)
            let download = try await enforcer.download("\(cases[0])/documents/\(id)")
            #expect(download.status == .ok && download.bytes == photo && download.headers[.contentType] == "image/jpeg")
            // Through the other enforcement case, or by a case officer: like a missing document.
            #expect(try await enforcer.download("\(cases[1])/documents/\(id)").status == .notFound)
            #expect(try await officer.download("\(cases[0])/documents/\(id)").status == .forbidden)
            let views = try await ViewLog.search(
                database: deps.identity.database, scope: council.scope, AuditLog.Filter(record: id), logger: Self.logger)
            #expect(views.map(\.viewer.actor) == ["Chris Bell"])
        }
    }

    @Test func theAPIUploadsAndDownloadsDocumentsTheSameWay() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let reference = try await council.application()
            let keys = APIKeyService(database: deps.identity.database)
            let key = try await keys.create(
                council.scope, name: "integration", permissions: [.viewCase, .editCase], by: council.adminEvent, now: Date(),
                logger: Self.logger
            ).key
            let readOnly = try await keys.create(
                council.scope, name: "reader", permissions: [.viewCase], by: council.adminEvent, now: Date(), logger: Self.logger
            ).key
            func call(_ method: HTTPRequest.Method, _ path: String, key: String, type: String? = nil, body: [UInt8]? = nil) async throws
                -> (
                    status: HTTPResponse.Status, headers: HTTPFields, bytes: [UInt8]
                )
            {
                var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                if let type { headers[.contentType] = type }
                let response = try await client.execute(
                    uri: "/t/\(council.tenant.slug)/api/v1/\(path)", method: method, headers: headers,
                    body: body.map { ByteBuffer(bytes: $0) })
                return (response.status, response.headers, Array(buffer: response.body))
            }
            let upload = "applications/\(reference)/documents?class=evidence&name=scan%20one.pdf"
            // Content-Type says text; the content is a PDF, and the content decides.
            let created = try await call(.post, upload, key: key, type: "text/plain", body: Self.pdf)
            #expect(created.status == .created)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(created.bytes)) as? [String: Any])
            #expect(json["mediaType"] as? String == "application/pdf" && json["fileName"] as? String == "scan one.pdf")
            #expect(json["sha256"] as? String == SHA256Hex.of(Self.pdf) && json["byteCount"] as? Int == Self.pdf.count)
            let id = try #require(json["id"] as? String)

            let read = try await call(.get, "applications/\(reference)", key: readOnly)
            let application = try #require(try JSONSerialization.jsonObject(with: Data(read.bytes)) as? [String: Any])
            #expect((application["documents"] as? [[String: Any]])?.first?["id"] as? String == id)
            let download = try await call(.get, "applications/\(reference)/documents/\(id)", key: readOnly)
            #expect(download.status == .ok && download.bytes == Self.pdf)
            #expect(download.headers[.contentType] == "application/pdf")
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"scan one.pdf\"; filename*=UTF-8''scan%20one.pdf")

            // HTML is refused whatever it claims; a reader may not upload; an unknown id is missing.
            let html = Array("<!doctype html><script>alert(1)</script>".utf8)
            #expect(try await call(.post, upload, key: key, type: "application/pdf", body: html).status == .unsupportedMediaType)
            #expect(try await call(.post, upload, key: readOnly, type: "application/pdf", body: Self.pdf).status == .forbidden)
            #expect(try await call(.get, "applications/\(reference)/documents/\(UUID().uuidString)", key: key).status == .notFound)
            #expect(try await call(.get, "applications/\(reference)/documents/not-a-uuid", key: key).status == .notFound)
            #expect(try await Self.documentRows(council.scope).count == 1)
        }
    }
}

/// SHA-256 as lowercase hex, as the documents table shows it.
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}
