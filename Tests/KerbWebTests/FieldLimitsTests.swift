import Audit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import KerbCore
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Testing
import Yams

@testable import Web

/// Issue 9, item 1: every text field has one length limit, and the form parser, the API, the
/// pages, the OpenAPI document and the schema all hold the same number (`FieldLimits`).
@Suite struct FieldLimitsTests {
    static let logger = Logger(label: "test")
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    @Test func theOpenAPIDocumentStatesEachRequestStringsLimit() throws {
        let yaml = try String(contentsOf: Self.sources.appendingPathComponent("KerbAPI/openapi.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        let components = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var checked = 0
        func walk(_ schema: Any?, name: String?, depth: Int = 0) {
            guard depth < 10, let schema = schema as? [String: Any] else { return }
            if let ref = schema["$ref"] as? String {
                walk(components[String(ref.split(separator: "/").last ?? "")], name: name, depth: depth + 1)
                return
            }
            if schema["type"] as? String == "string", schema["enum"] == nil, let name {
                #expect(schema["maxLength"] as? Int == FieldLimits.api(name), "\(name): maxLength \(schema["maxLength"] ?? "none")")
                checked += 1
            }
            walk(schema["items"], name: name, depth: depth + 1)
            for (property, child) in schema["properties"] as? [String: Any] ?? [:] { walk(child, name: property, depth: depth + 1) }
        }
        for operations in paths.values {
            for operation in operations.values {
                let body = ((operation as? [String: Any])?["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                walk((body?["application/json"] as? [String: Any])?["schema"], name: nil)
            }
        }
        #expect(checked >= 20, "request strings checked: \(checked)")
    }

    @Test func everyTextInputOnEveryPageCarriesItsLimit() throws {
        let templates = Self.sources.appendingPathComponent("Web/Resources/Templates")
        let files = FileManager.default.enumerator(at: templates, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        var checked = 0
        for file in files where file.pathExtension == "mustache" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for tag in text.matches(of: #/<(input|textarea)\b[^>]*>/#).map({ String($0.output.0) }) {
                // A file input has no text to limit: the upload's size is the council's policy (`UploadForm`).
                if tag.contains("type=\"hidden\"") || tag.contains("type=\"checkbox\"") || tag.contains("type=\"submit\"")
                    || tag.contains("type=\"file\"")
                {
                    continue
                }
                checked += 1
                let limit = tag.firstMatch(of: #/maxlength="([^"]+)"/#)?.output.1
                #expect(limit != nil, "\(file.lastPathComponent): \(tag)")
                if let limit, let number = Int(limit), let name = tag.firstMatch(of: #/name="([a-z0-9-]+)"/#)?.output.1 {
                    #expect(number == FieldLimits.form(String(name)), "\(file.lastPathComponent): \(name) has maxlength \(number)")
                }
            }
        }
        #expect(checked >= 7)
        #expect(FormField(name: "full-name", label: "Full name").maxLength == 200)
    }

    /// The schema's `<table>_<column>_length` constraints are exactly the table's columns.
    @Test func theSchemaHoldsTheSameLimits() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let rows = try await TestDatabase.adminQuery(
            """
            SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND con.contype = 'c' AND con.conname LIKE '%\\_length'
            """, [tenant.scope.schema])
        var found: [String: Int] = [:]
        for row in rows {
            let definition = row[2] ?? ""
            let match = try #require(definition.firstMatch(of: #/char_length\((\w+)\) <= (\d+)/#), "\(definition)")
            found["\(row[0] ?? "").\(match.output.1)"] = Int(match.output.2)
        }
        let expected = Dictionary(
            FieldLimits.all.flatMap { limit in limit.columns.map { ($0, limit.max) } }, uniquingKeysWith: { a, _ in a })
        #expect(found == expected)
    }

    @Test func tooLongTextIsRefusedByFormsTheAPIAndTheSchema() async throws {
        let onboarded = try await TestDatabase.onboardTestTenant()
        try await withApp { client, deps in
            let tenant = onboarded.tenant
            let browser = Browser(client, tenant: tenant)
            try await browser.get("/sign-in")
            let long = try await browser.post(
                "/sign-in", [("email", String(repeating: "a", count: 255) + "@x.example"), ("password", "x")])
            #expect(long.status == .unprocessableContent && long.html.contains("email must be 254 characters or fewer"))
            let nul = try await browser.post("/sign-in", [("email", "a\u{0}b"), ("password", "x")])
            #expect(nul.status == .badRequest)

            // The API: the field named, 422, nothing stored.
            let adminID = try #require(try await deps.identity.users.list(tenant.scope, logger: Self.logger).first?.id)
            let key = try await APIKeyService(database: deps.identity.database).create(
                tenant.scope, name: "limits", permissions: [.editCase, .viewCase],
                by: AuditEvent(actorID: adminID, actor: "Alex Morgan", action: ""), now: Date(), logger: Self.logger
            ).key
            func create(_ name: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let body = try JSONSerialization.data(withJSONObject: [
                    "applicant": ["fullName": name, "addressLine1": "1 Road", "postcode": "SW1A 1AA"], "kind": "NEW", "channel": "PAPER",
                    "eligibility": "PIP",
                ])
                let response = try await client.execute(
                    uri: "/t/\(tenant.slug)/api/v1/applications", method: .post,
                    headers: [.authorization: "Bearer \(key)", .contentType: "application/json"], body: ByteBuffer(data: body))
                return (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:])
            }
            let (status, problem) = try await create(String(repeating: "n", count: 100_000))
            #expect(status == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["field"] as? String == "applicant.fullName")
            #expect(try await create("Ann \u{0}Example").0 == .unprocessableContent)
            let text = try await client.execute(
                uri: "/t/\(tenant.slug)/api/v1/applications", method: .post,
                headers: [.authorization: "Bearer \(key)", .contentType: "text/plain"], body: ByteBuffer(string: "{}"))
            #expect(text.status == .unsupportedMediaType)
            let nested = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let deep = try await client.execute(
                uri: "/t/\(tenant.slug)/api/v1/applications", method: .post,
                headers: [.authorization: "Bearer \(key)", .contentType: "application/json"], body: ByteBuffer(string: nested))
            #expect(deep.status == .contentTooLarge || deep.status == .unprocessableContent)
            let stored = try await TestDatabase.admin.transaction { session in
                try session.enterTenant(tenant.scope)
                return try session.query("SELECT count(*) FROM people")
            }
            #expect(stored.first?.first == "0")

            // The schema refuses it too, whatever path a write takes.
            await expectSQLState("23514") {  // check_violation
                try await deps.identity.database.transaction(tenant.scope, logger: Self.logger) { conn in
                    _ = try await conn.query(
                        "UPDATE users SET full_name = \(String(repeating: "x", count: 201))", logger: Self.logger)
                }
            }
        }
    }
}
