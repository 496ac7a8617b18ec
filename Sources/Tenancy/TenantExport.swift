import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Keys
import Storage

/// A council's full export, its verification, and (in `TenantLifecycle.offboard`) the deletion it
/// allows. Seed 000 prices getting a council's data out as a scoping study; here it is one command
/// whose result is checked against the live data.
///
/// The export reads every table of the council's schema in one read-only snapshot, as CSV and
/// JSON, decrypts every document, and writes a manifest with row counts and SHA-256 per file,
/// last. It is audited in the council's trail before the snapshot, so the snapshot includes its
/// own audit entry and the manifest's audit position is the council's latest until anything
/// else happens.
public struct TenantExport: Sendable {
    public let lifecycle: TenantLifecycle
    public let blobs: any BlobStore

    public init(lifecycle: TenantLifecycle, blobs: any BlobStore) {
        self.lifecycle = lifecycle
        self.blobs = blobs
    }

    var database: AdminDatabase { lifecycle.database }

    public struct Summary: Sendable {
        public let manifest: ExportManifest
        public let manifestSHA256: String
    }

    /// What the snapshot gives the export: the manifest so far and the documents to decrypt.
    struct Snapshot: Sendable {
        let tables: [ExportManifest.Table]
        let auditSeq: Int64
        let documents: [(id: UUID, sealedKey: Data, sha256: String, fileName: String, mediaType: String)]
        let dataKey: DataKey
    }

    /// Exports council `slug` to `folder`; with `sealTo`, each document is sealed to that key
    /// of the council's (`ExportEncryption`) instead of being written in the clear.
    public func export(
        _ slug: String, to folder: URL, actor: String, sealTo recipient: Curve25519.KeyAgreement.PublicKey? = nil
    ) async throws -> Summary {
        let tenant = try await lifecycle.show(slug).tenant
        guard tenant.status != .offboarded else {
            throw TenancyError.wrongStatus(slug: slug, status: "offboarded", wanted: "not offboarded")
        }
        try Self.prepare(folder)
        let scope = tenant.scope
        try await database.transaction { session in
            try session.enterTenant(scope)
            try AuditLog.record(
                AuditEvent(actorID: nil, actor: actor, action: "tenant.exported", target: scope.schema, detail: "full export"), on: session)
        }
        let keys = lifecycle.keys
        let snapshot: Snapshot = try await database.transaction { session in
            try session.readOnlySnapshot()
            let dataKey = try keys.current(session, scope)
            try session.enterTenant(scope)
            return try Self.snapshot(session, scope, folder: folder, dataKey: dataKey)
        }
        var documents: [ExportManifest.Document] = []
        for document in snapshot.documents {
            guard let type = DocumentType(mediaType: document.mediaType) else {
                throw TenancyError.exportDoesNotVerify(["document \(document.id.uuidString.lowercased()) has an unknown media type"])
            }
            let name = document.id.uuidString.lowercased()
            let writer = try ExportWriter(
                folder: folder, relative: "documents/\(name).\(type.fileExtension)\(recipient == nil ? "" : ".kerbdoc")")
            let stream = try await DocumentVault.open(
                document.id, sealedKey: document.sealedKey, dataKey: snapshot.dataKey, store: blobs, scope)
            let contentKey = SymmetricKey(size: .bits256)
            var sealer = DocumentCipher.Sealer(key: contentKey, documentID: document.id)
            var plaintext = SHA256()
            for try await piece in stream {
                plaintext.update(data: piece)
                try writer.write(recipient == nil ? piece : try sealer.add(piece))
            }
            if recipient != nil { try writer.write(try sealer.finish()) }
            let file = try writer.close()
            guard Hex.encode(plaintext.finalize()) == document.sha256 else {
                throw TenancyError.exportDoesNotVerify(["document \(name) does not match its recorded SHA-256"])
            }
            var entry = ExportManifest.Document(id: name, fileName: document.fileName, mediaType: document.mediaType, file: file)
            if let recipient {
                let (encapsulated, sealed) = try ExportEncryption.seal(contentKey, to: recipient, schema: scope.schema, document: name)
                entry.encryption = .init(
                    scheme: ExportEncryption.scheme, encapsulatedKey: encapsulated.base64EncodedString(),
                    sealedKey: sealed.base64EncodedString(), plaintextSHA256: document.sha256)
            }
            documents.append(entry)
        }
        let manifest = ExportManifest(
            council: slug, name: tenant.displayName, schema: scope.schema, exportedAt: ISO8601DateFormatter().string(from: Date()),
            exportedBy: actor, auditSeq: snapshot.auditSeq, tables: snapshot.tables, documents: documents,
            sealedTo: recipient.map(ExportEncryption.fingerprint))
        let data = try ExportManifest.encoder().encode(manifest)
        let writer = try ExportWriter(folder: folder, relative: "manifest.json")
        try writer.write(data)
        let manifestFile = try writer.close()
        try FolderBlobStore.syncFolder(folder.path)
        let tenantID = tenant.id.uuidString
        let documentCount = documents.count
        try await database.transaction { session in
            try session.query(
                """
                INSERT INTO kerb_control.tenant_exports (tenant_id, folder, manifest_sha256, audit_seq, exported_by)
                VALUES ($1::uuid, $2, $3, $4::bigint, $5)
                """, [tenantID, folder.path, manifestFile.sha256, String(snapshot.auditSeq), actor])
            try TenantLifecycle.recordEvent(
                session, tenantID: tenantID, event: "exported", actor: actor,
                detail: "\(snapshot.tables.count) tables, \(documentCount) documents, manifest \(manifestFile.sha256)")
        }
        return Summary(manifest: manifest, manifestSHA256: manifestFile.sha256)
    }

    /// The tables (written to `folder`, or only hashed when it is nil), the audit position and
    /// the documents' rows, in the caller's snapshot inside the council.
    static func snapshot(_ session: AdminSession, _ scope: TenantScope, folder: URL?, dataKey: DataKey) throws -> Snapshot {
        var tables: [ExportManifest.Table] = []
        for table in try session.tables(scope) {
            let columns = try session.columns(scope, table: table)
            var files = try TableFiles(folder: folder, table: table, columns: columns)
            try session.eachBatch(scope, table: table) { batch in try files.add(batch) }
            let (csv, json) = try files.close()
            tables.append(.init(name: table, rows: files.rows, columns: columns, csv: csv, json: json))
        }
        let auditSeq = try AuditLog.lastSeq(on: session)
        let documents = try session.query(
            "SELECT id::text, encode(sealed_key, 'base64'), encode(sha256, 'hex'), file_name, content_type FROM documents ORDER BY id"
        ).compactMap { row -> (UUID, Data, String, String, String)? in
            guard let id = row[0].flatMap(UUID.init(uuidString:)),
                let key = row[1].flatMap(Data.init(postgresBase64:)), let hash = row[2],
                let name = row[3], let media = row[4]
            else { return nil }
            return (id, key, hash, name, media)
        }
        return Snapshot(tables: tables, auditSeq: auditSeq, documents: documents.map { ($0.0, $0.1, $0.2, $0.3, $0.4) }, dataKey: dataKey)
    }

    /// Checks an export against itself (every file's SHA-256 and size) and against the live
    /// data (every table regenerated from a snapshot hashes the same; every document is there
    /// with its recorded hash), then records the verification. Throws every difference found.
    public func verify(_ folder: URL, actor: String) async throws -> ExportManifest {
        let manifestURL = folder.appendingPathComponent("manifest.json")
        guard let manifestData = FileManager.default.contents(atPath: manifestURL.path) else {
            throw TenancyError.exportNotRecognised("\(folder.path) has no manifest.json")
        }
        let manifestSHA = Hex.encode(SHA256.hash(data: manifestData))
        guard let manifest = try? JSONDecoder().decode(ExportManifest.self, from: manifestData), manifest.format == "kerb-export/1" else {
            throw TenancyError.exportNotRecognised("manifest.json is not a Kerb export manifest")
        }
        let tenant = try await lifecycle.show(manifest.council).tenant
        let tenantID = tenant.id.uuidString
        let recorded = try await database.session { session in
            try session.query(
                "SELECT id FROM kerb_control.tenant_exports WHERE tenant_id = $1::uuid AND manifest_sha256 = $2 ORDER BY id DESC LIMIT 1",
                [tenantID, manifestSHA]
            ).first?[0].flatMap { $0 }
        }
        guard let exportID = recorded else {
            throw TenancyError.exportNotRecognised("Kerb has no record of this manifest (it was changed, or made elsewhere)")
        }
        var problems: [String] = []
        // The files as they are now.
        let files = manifest.tables.flatMap { [$0.csv, $0.json] } + manifest.documents.map(\.file)
        for file in files {
            let url = folder.appendingPathComponent(file.path)
            guard !file.path.contains(".."), let hashed = try? Self.hash(url) else {
                problems.append("\(file.path) is missing")
                continue
            }
            if hashed.sha256 != file.sha256 || hashed.bytes != file.bytes { problems.append("\(file.path) has changed") }
        }
        // The live data, regenerated in one snapshot and hashed.
        let scope = tenant.scope
        let keys = lifecycle.keys
        let live = try await database.transaction { session in
            try session.readOnlySnapshot()
            let dataKey = try keys.current(session, scope)
            try session.enterTenant(scope)
            return try Self.snapshot(session, scope, folder: nil, dataKey: dataKey)
        }
        let exported = Dictionary(manifest.tables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for table in live.tables {
            guard let entry = exported[table.name] else {
                problems.append("table \(table.name) is not in the export")
                continue
            }
            if entry.rows != table.rows {
                problems.append("table \(table.name) has \(table.rows) rows now, \(entry.rows) in the export")
            } else if entry.csv.sha256 != table.csv.sha256 {
                problems.append("table \(table.name) differs from the live data")
            }
        }
        for name in Set(exported.keys).subtracting(live.tables.map(\.name)) { problems.append("table \(name) is not in the council") }
        let exportedDocuments = Dictionary(
            manifest.documents.map { ($0.id, $0.encryption?.plaintextSHA256 ?? $0.file.sha256) }, uniquingKeysWith: { first, _ in first })
        for document in live.documents where exportedDocuments[document.id.uuidString.lowercased()] != document.sha256 {
            problems.append("document \(document.id.uuidString.lowercased()) is missing or differs")
        }
        if live.documents.count != manifest.documents.count {
            problems.append("the council has \(live.documents.count) documents, the export \(manifest.documents.count)")
        }
        guard problems.isEmpty else { throw TenancyError.exportDoesNotVerify(problems) }
        try await database.transaction { session in
            try session.query(
                "UPDATE kerb_control.tenant_exports SET verified_at = now(), verified_by = $2 WHERE id = $1::bigint", [exportID, actor])
            try TenantLifecycle.recordEvent(
                session, tenantID: tenantID, event: "export-verified", actor: actor, detail: "manifest \(manifestSHA)")
        }
        return manifest
    }

    static func hash(_ url: URL) throws -> ExportFile {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw TenancyError.exportNotRecognised("\(url.path) cannot be read")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        var bytes = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hash.update(data: chunk)
            bytes += chunk.count
        }
        return ExportFile(path: url.lastPathComponent, sha256: Hex.encode(hash.finalize()), bytes: bytes)
    }

    /// A new folder, or an empty one; made private to its owner.
    static func prepare(_ folder: URL) throws {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            guard isFolder.boolValue, (try? manager.contentsOfDirectory(atPath: folder.path))?.isEmpty == true else {
                throw TenancyError.exportFolderUnusable(folder.path)
            }
        } else {
            do { try manager.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch
            {
                throw TenancyError.exportFolderUnusable(folder.path)
            }
        }
    }
}
