import Audit
import Crypto
import Documents
import Foundation
import HummingbirdTesting
import KerbCore
import KerbTestSupport
import Logging
import Storage
import Tenancy
import Testing
import Web

/// `kerb tenant import` (issue 11, item 7): an export imported into a new council verifies
/// against the original, documents open under the new council's key, and a tampered export, a
/// council that is not empty, or a legacy file with one bad row is refused with nothing written.
@Suite struct TenantImportTests {
    static let logger = Logger(label: "test")

    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kerb-import-\(UUID().uuidString)", isDirectory: true)
    }

    /// What a council holds, for "nothing was written": casework rows, audit position, blobs.
    static func footprint(_ scope: TenantScope) async throws -> [String] {
        let counts = try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(scope)
            return try session.query(
                """
                SELECT (SELECT count(*) FROM people)::text, (SELECT count(*) FROM applications)::text, (SELECT count(*) FROM badges)::text,
                    (SELECT count(*) FROM documents)::text, (SELECT count(*) FROM users)::text, (SELECT max(seq) FROM audit_events)::text
                """
            ).first?.map { $0 ?? "" } ?? []
        }
        return counts + ["blobs \(try await TestDatabase.vault.blobs.list(scope.schema).count)"]
    }

    static func importer() async throws -> TenantImport {
        TenantImport(lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs)
    }

    @Test func anExportImportedIntoANewCouncilVerifiesAgainstTheOriginal() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.person("Priya Shah", groups: ["Case officers"])
            let (reference, documentID) = try await CouncilKeyTests.caseWithDocument(council, by: officer)
            let browser = try await council.signIn(as: officer)
            try await browser.get("/cases/\(reference)")
            #expect(try await browser.post("/cases/\(reference)/notes", [("note", "Called the applicant")]).status == .seeOther)
            // The opening of the case is logged and sealed into the trail: both travel, and verify.
            #expect(
                try await ViewLog.seal(
                    as: council.adminEvent, database: deps.identity.database, scope: council.scope, now: Date().addingTimeInterval(120),
                    logger: Self.logger) >= 1)
            let lifecycle = try await TestDatabase.lifecycle()
            let exporter = TenantExport(lifecycle: lifecycle, blobs: TestDatabase.vault.blobs)
            let source = Self.folder()
            defer { try? FileManager.default.removeItem(at: source) }
            let original = try await exporter.export(council.tenant.slug.rawValue, to: source, actor: "test").manifest

            let target = try await TestDatabase.onboardTestTenant()
            let slug = target.tenant.slug.rawValue
            let importer = try await Self.importer()
            let before = try await Self.footprint(target.tenant.scope)

            // The dry run reports what it would create, and writes nothing.
            let dryRun = try await importer.dryRun(slug, from: source, actor: "test")
            #expect(dryRun.refusals.isEmpty && !dryRun.applied)
            #expect(dryRun.source == .kerbExport(council: council.tenant.slug.rawValue, auditSeq: original.auditSeq))
            #expect(dryRun.creates.first { $0.table == "applications" }?.rows == 1 && dryRun.documents == 1)
            #expect(try await Self.footprint(target.tenant.scope) == before)

            let report = try await importer.apply(slug, from: source, actor: "test")
            #expect(report.applied && report.documents == 1)

            // Exported again, the new council has the original's data, except what is its own.
            let again = Self.folder()
            defer { try? FileManager.default.removeItem(at: again) }
            let copy = try await exporter.export(slug, to: again, actor: "test").manifest
            let own: Set<String> = ["profile", "users", "documents", "audit_events"]
            let originalHashes = Dictionary(uniqueKeysWithValues: original.tables.map { ($0.name, $0.csv.sha256) })
            for table in copy.tables where !own.contains(table.name) {
                #expect(originalHashes[table.name] == table.csv.sha256, "table \(table.name)")
            }
            // The trail is the original's, then the import's entry and the new export's.
            #expect(copy.auditSeq == original.auditSeq + 2)
            _ = try await TestDatabase.prepared().session { session in try AuditAnchors.verify(session, target.tenant.scope) }
            let imported = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(target.tenant.scope)
                return try session.query(
                    "SELECT action, seq::text FROM audit_events WHERE seq > $1::bigint ORDER BY seq LIMIT 1", [String(original.auditSeq)])
            }
            #expect(imported == [["tenant.imported", String(original.auditSeq + 1)]])

            // The document opens under the new council's key, to the same bytes.
            let vault = DocumentVault(keys: deps.keys, store: TestDatabase.vault.blobs)
            let sealed = try await CouncilKeyTests.sealedKey(target.tenant.scope, documentID)
            let opened = try await vault.open(documentID, sealedKey: sealed, target.tenant.scope, logger: Self.logger)
            #expect(try await CouncilKeyTests.read(opened) == CouncilKeyTests.pdf)
            // The officer's account came with the data; the onboarding invitation went.
            let people = try await deps.identity.users.list(target.tenant.scope, logger: Self.logger).map(\.fullName)
            #expect(people.contains("Priya Shah") && people.contains("Alex Morgan"))

            // New casework numbers continue after the imported ones (the sequences moved).
            let moved = try await TestCouncil.existing(target, client, deps).application(for: "Joan Clarke")
            #expect(moved.hasSuffix("-000002") && reference.hasSuffix("-000001"))

            // The council is no longer empty: a second import is refused.
            await #expect(throws: TenancyError.importTargetNotEmpty(slug)) {
                _ = try await importer.apply(slug, from: source, actor: "test")
            }
        }
    }

    @Test func aTamperedExportIsRefusedWithNothingWritten() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.person("Priya Shah", groups: ["Case officers"])
            let (reference, _) = try await CouncilKeyTests.caseWithDocument(council, by: officer)
            let exporter = TenantExport(lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs)
            let source = Self.folder()
            defer { try? FileManager.default.removeItem(at: source) }
            let manifest = try await exporter.export(council.tenant.slug.rawValue, to: source, actor: "test").manifest
            let applications = try #require(manifest.tables.first { $0.name == "applications" })
            let csvURL = source.appendingPathComponent(applications.csv.path)
            let csv = try String(contentsOf: csvURL, encoding: .utf8)
            try Data(csv.replacingOccurrences(of: reference, with: "BB-2026-999999").utf8).write(to: csvURL)

            let target = try await TestDatabase.onboardTestTenant()
            let before = try await Self.footprint(target.tenant.scope)
            let importer = try await Self.importer()
            await #expect(
                throws: TenancyError.importRefused([
                    ImportRefusal(
                        file: applications.csv.path, reason: "does not match the SHA-256 and size in manifest.json: it was changed")
                ])
            ) {
                _ = try await importer.apply(target.tenant.slug.rawValue, from: source, actor: "test")
            }
            let dryRun = try await importer.dryRun(target.tenant.slug.rawValue, from: source, actor: "test")
            #expect(dryRun.refusals.map(\.file) == [applications.csv.path])
            #expect(try await Self.footprint(target.tenant.scope) == before)

            // Into a council that already holds casework: refused before anything is read.
            try Data(csv.utf8).write(to: csvURL)
            await #expect(throws: TenancyError.importTargetNotEmpty(council.tenant.slug.rawValue)) {
                _ = try await importer.apply(council.tenant.slug.rawValue, from: source, actor: "test")
            }
        }
    }

    @Test func anExportWhoseAuditTrailWasRewrittenIsRefusedEvenWithAConsistentManifest() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let exporter = TenantExport(lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs)
            let source = Self.folder()
            defer { try? FileManager.default.removeItem(at: source) }
            var manifest = try await exporter.export(council.tenant.slug.rawValue, to: source, actor: "test").manifest
            // The last entry's detail rewritten, and the manifest made to match the changed file.
            let index = try #require(manifest.tables.firstIndex { $0.name == "audit_events" })
            let url = source.appendingPathComponent(manifest.tables[index].csv.path)
            let csv = try String(contentsOf: url, encoding: .utf8)
            #expect(csv.contains("\"full export\""))
            try Data(csv.replacingOccurrences(of: "\"full export\"", with: "\"partial export\"").utf8).write(to: url)
            let data = try Data(contentsOf: url)
            manifest.tables[index].csv.sha256 = Hex.encode(SHA256.hash(data: data))
            manifest.tables[index].csv.bytes = data.count
            try JSONEncoder().encode(manifest).write(to: source.appendingPathComponent("manifest.json"))

            let target = try await TestDatabase.onboardTestTenant()
            let before = try await Self.footprint(target.tenant.scope)
            let refusal = ImportRefusal(
                file: "tables/audit_events.csv", reason: "the audit chain does not verify from entry \(manifest.auditSeq): it was changed")
            let importer = try await Self.importer()
            #expect(try await importer.dryRun(target.tenant.slug.rawValue, from: source, actor: "test").refusals == [refusal])
            await #expect(throws: TenancyError.importRefused([refusal])) {
                _ = try await importer.apply(target.tenant.slug.rawValue, from: source, actor: "test")
            }
            #expect(try await Self.footprint(target.tenant.scope) == before)
        }
    }

    static let pdf = CouncilKeyTests.pdf

    /// A legacy set in the template (docs/import-template.md): two people, two applications,
    /// a badge that replaced another, one document.
    static func legacy(people: String? = nil, applications: String? = nil, badges: String? = nil) throws -> URL {
        let folder = Self.folder()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("files"), withIntermediateDirectories: true)
        let files = [
            "people.csv": people
                ?? """
                person_ref,kind,full_name,date_of_birth,nino,address_line1,town,postcode,email
                P1,person,Ada Lovelace,1950-12-10,AB 12 34 56 C,"1 Analytical Way, Marylebone",London,nw16xe,ada@example.org
                P2,organisation,Hillside Care Home,,,2 Hill Road,Leeds,LS1 4AP,

                """,
            "applications.csv": applications
                ?? """
                application_ref,person_ref,kind,replace_reason,channel,eligibility,status,received_on,decided_on,existing_badge
                OLD-1001,P1,REPLACE,LOST,PAPER,PIP,APPROVED,2024-02-01,2024-02-20,AB12CD
                OLD-1002,P2,NEW,,ONLINE,,RECEIVED,2025-01-15,,

                """,
            "badges.csv": badges
                ?? """
                badge_number,person_ref,application_ref,eligibility,start_date,expiry_date,deliver_to,status,cancel_reason,replace_reason,replaces,ordered_on,issued_on
                CD34EF,P1,OLD-1001,PIP,2024-02-25,2027-02-24,HOME,ISSUED,,,AB12CD,2024-02-21,2024-02-25
                AB12CD,P1,,PIP,2022-01-01,2024-12-31,HOME,REPLACED,,LOST,,2021-12-20,2022-01-01

                """,
            "documents.csv": """
            application_ref,file,class,file_name
            OLD-1001,files/evidence.pdf,evidence,PIP award letter.pdf

            """,
        ]
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        try Data(Self.pdf).write(to: folder.appendingPathComponent("files/evidence.pdf"))
        return folder
    }

    @Test func legacyFilesImportAndABadRowIsRefusedByLineWithNothingWritten() async throws {
        try await withApp { client, deps in
            let importer = try await Self.importer()
            // One bad row in each file: an over-long name, an unknown eligibility code, a badge
            // for a person who is not in people.csv.
            let bad = try Self.legacy(
                people: """
                    person_ref,full_name,address_line1,postcode
                    P1,Ada Lovelace,1 Analytical Way,NW1 6XE
                    P2,\(String(repeating: "x", count: 201)),2 Hill Road,LS1 4AP
                    """,
                applications: """
                    application_ref,person_ref,kind,channel,eligibility,status,received_on
                    OLD-1001,P1,NEW,PAPER,PIP,RECEIVED,2024-02-01
                    OLD-1002,P1,NEW,PAPER,MOBILITY,RECEIVED,2024-02-01
                    """,
                badges: """
                    badge_number,person_ref,eligibility,start_date,expiry_date,deliver_to,status,ordered_on
                    CD34EF,P9,PIP,2024-02-25,2027-02-24,HOME,ISSUED,2024-02-21
                    """)
            defer { try? FileManager.default.removeItem(at: bad) }
            let target = try await TestDatabase.onboardTestTenant()
            let slug = target.tenant.slug.rawValue
            let before = try await Self.footprint(target.tenant.scope)
            let refusals = [
                ImportRefusal(file: "people.csv", line: 3, column: "full_name", reason: "is longer than 200 characters"),
                ImportRefusal(
                    file: "applications.csv", line: 3, column: "eligibility",
                    reason: "is not one of PIP, DLA, AFRFCS, WPMS, BLIND, WALKD, ARMS, CHILDBULK, CHILDVEHIC, COGNITIVE"),
                ImportRefusal(file: "badges.csv", line: 2, column: "person_ref", reason: "names no row of people.csv"),
            ]
            await #expect(throws: TenancyError.importRefused(refusals)) {
                _ = try await importer.apply(slug, from: bad, actor: "test")
            }
            #expect(try await importer.dryRun(slug, from: bad, actor: "test").refusals == refusals)
            #expect(try await Self.footprint(target.tenant.scope) == before)

            // The good set: a dry run writes nothing, then it imports and verifies.
            let good = try Self.legacy()
            defer { try? FileManager.default.removeItem(at: good) }
            let dryRun = try await importer.dryRun(slug, from: good, actor: "test")
            #expect(dryRun.refusals.isEmpty && dryRun.source == .legacy)
            #expect(dryRun.creates.map(\.rows) == [2, 2, 2, 1])
            #expect(try await Self.footprint(target.tenant.scope) == before)
            let report = try await importer.apply(slug, from: good, actor: "test")
            #expect(report.applied && report.documents == 1)
            let after = try await Self.footprint(target.tenant.scope)
            #expect(Array(after.prefix(4)) == ["2", "2", "2", "1"] && after.last == "blobs 1")
            let rows = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(target.tenant.scope)
                return try session.query(
                    """
                    SELECT p.postcode, p.nino, a.reference, a.for_organisation::text, b.replaces, d.file_name, encode(d.sealed_key, 'base64'), d.id::text
                    FROM people p JOIN applications a ON a.person_id = p.id LEFT JOIN badges b ON b.application_id = a.id
                    LEFT JOIN documents d ON d.application_id = a.id ORDER BY a.reference
                    """)
            }
            #expect(
                rows.first.map { Array($0.prefix(6)) } == ["NW1 6XE", "AB123456C", "OLD-1001", "false", "AB12CD", "PIP award letter.pdf"])
            #expect(rows.last.map { Array($0.prefix(4)) } == ["LS1 4AP", nil, "OLD-1002", "true"])
            let documentID = try #require(rows.first?[7].flatMap(UUID.init(uuidString:)))
            let sealed = try #require(rows.first?[6].flatMap { Data(base64Encoded: $0, options: .ignoreUnknownCharacters) })
            let vault = DocumentVault(keys: deps.keys, store: TestDatabase.vault.blobs)
            let opened = try await vault.open(documentID, sealedKey: sealed, target.tenant.scope, logger: Self.logger)
            #expect(try await CouncilKeyTests.read(opened) == Self.pdf)
            let audit = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(target.tenant.scope)
                return try session.query("SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1")
            }
            #expect(audit == [["tenant.imported"]])
            // Not empty any more.
            await #expect(throws: TenancyError.importTargetNotEmpty(slug)) {
                _ = try await importer.apply(slug, from: good, actor: "test")
            }
        }
    }

    @Test func aFolderThatIsNeitherIsRefused() async throws {
        let target = try await TestDatabase.onboardTestTenant()
        let empty = Self.folder()
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        await #expect {
            _ = try await Self.importer().dryRun(target.tenant.slug.rawValue, from: empty, actor: "test")
        } throws: { error in
            if case TenancyError.importSourceNotRecognised = error { return true }
            return false
        }
    }
}

/// Issue 11, item 6: an export whose documents are sealed to a key the council holds.
@Suite struct SealedExportTests {
    static let logger = Logger(label: "test")

    /// A key pair as `kerb tenant export keypair` writes it: the private file 0600.
    static func keyFiles(_ folder: URL) throws -> (privateKey: URL, publicKey: URL) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (privateKey, publicKey) = ExportEncryption.newPair()
        let privateURL = folder.appendingPathComponent("council.key")
        let publicURL = folder.appendingPathComponent("council.key.pub")
        #expect(
            FileManager.default.createFile(atPath: privateURL.path, contents: Data(privateKey.utf8), attributes: [.posixPermissions: 0o600])
        )
        try Data(publicKey.utf8).write(to: publicURL)
        return (privateURL, publicURL)
    }

    @Test func sealedDocumentsVerifyOpenOnlyWithTheCouncilsPrivateKeyAndThenImport() async throws {
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.person("Priya Shah", groups: ["Case officers"])
            let (_, documentID) = try await CouncilKeyTests.caseWithDocument(council, by: officer)
            let keys = TenantImportTests.folder()
            defer { try? FileManager.default.removeItem(at: keys) }
            let ours = try Self.keyFiles(keys.appendingPathComponent("ours"))
            let theirs = try Self.keyFiles(keys.appendingPathComponent("theirs"))

            let exporter = TenantExport(lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs)
            let source = TenantImportTests.folder()
            defer { try? FileManager.default.removeItem(at: source) }
            let recipient = try ExportEncryption.publicKey(file: ours.publicKey)
            let manifest = try await exporter.export(council.tenant.slug.rawValue, to: source, actor: "test", sealTo: recipient).manifest
            #expect(manifest.sealedTo == ExportEncryption.fingerprint(recipient))
            let entry = try #require(manifest.documents.first { $0.id == documentID.uuidString.lowercased() })
            #expect(entry.file.path.hasSuffix(".pdf.kerbdoc") && entry.encryption?.plaintextSHA256 == SHA256Hex.of(CouncilKeyTests.pdf))
            let onDisk = try Data(contentsOf: source.appendingPathComponent(entry.file.path))
            #expect(onDisk.range(of: Data("medical evidence".utf8)) == nil)
            // It verifies against the live data like any export.
            _ = try await exporter.verify(source, actor: "test")

            // Another key does not open it; a private key others may read is refused before use.
            let out = TenantImportTests.folder()
            defer { try? FileManager.default.removeItem(at: out) }
            let refusal = TenancyError.exportKeyUnusable(
                "this private key does not open document \(documentID.uuidString.lowercased()) (another council's key?)")
            #expect(throws: refusal) { try ExportEncryption.decrypt(source, privateKey: theirs.privateKey, to: out) }
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: theirs.privateKey.path)
            #expect(throws: TenancyError.exportKeyUnusable("council.key may be read by others: chmod 600 it first")) {
                try ExportEncryption.decrypt(source, privateKey: theirs.privateKey, to: TenantImportTests.folder())
            }

            // A sealed export is not imported as it is; opened with the council's key, it is.
            let target = try await TestDatabase.onboardTestTenant()
            let importer = try await TenantImportTests.importer()
            let sealed = try await importer.dryRun(target.tenant.slug.rawValue, from: source, actor: "test")
            #expect(sealed.refusals.contains { $0.reason.contains("sealed to the council's key") })
            let opened = TenantImportTests.folder()
            defer { try? FileManager.default.removeItem(at: opened) }
            #expect(try ExportEncryption.decrypt(source, privateKey: ours.privateKey, to: opened) == 1)
            let plain = try Data(contentsOf: opened.appendingPathComponent("documents/\(documentID.uuidString.lowercased()).pdf"))
            #expect(Array(plain) == CouncilKeyTests.pdf)
            let report = try await importer.dryRun(target.tenant.slug.rawValue, from: opened, actor: "test")
            #expect(report.refusals.isEmpty && report.documents == 1)
        }
    }
}
