import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Keys
import Storage
import Tenancy

/// Per-council backups, their verification by restore, and single-council restores (issue 13).
///
/// A backup is one consistent snapshot of the council: `pg_dump` of its schema reads the very
/// snapshot in which Kerb counts and checksums every table (`pg_export_snapshot`), encrypted as
/// it streams under a key of its own that the council's data key seals; the documents' stored
/// files (already encrypted, each under its own key) are copied beside it. Nothing of one
/// council is ever in another's backup, and a backup opens only with its council's key.
public struct BackupService: Sendable {
    public let lifecycle: TenantLifecycle
    /// The live documents (their encrypted files are copied as they are).
    public let blobs: any BlobStore
    public let tools: PostgresTools
    public let root: URL
    public let retention: BackupRetention
    /// How long a suspension takes to reach every web process (`TenantDirectory.defaultTTL`).
    public let suspensionReach: Duration

    public init(
        lifecycle: TenantLifecycle, blobs: any BlobStore, tools: PostgresTools, root: URL, retention: BackupRetention = .init(),
        suspensionReach: Duration = TenantDirectory.defaultTTL
    ) {
        self.lifecycle = lifecycle
        self.blobs = blobs
        self.tools = tools
        self.root = root
        self.retention = retention
        self.suspensionReach = suspensionReach
    }

    var database: AdminDatabase { lifecycle.database }
    var archive: BackupArchive { BackupArchive(root: root) }

    /// A backup as the control plane records it.
    public struct Record: Sendable, Equatable {
        public let id: UUID
        public let council: String
        public let tenantID: UUID
        public let folder: String
        public let takenBy: String
        public let startedAt: Date
        public let completedAt: Date?
        public let manifestSHA256: String?
        public let bytes: Int64
        public let rows: Int64
        public let documents: Int
        public let pruned: Bool
        /// The last verification: when, and whether it passed.
        public let verifiedAt: Date?
        public let verifiedPassed: Bool?
    }

    /// What the snapshot's transaction hands on to the rest of a backup.
    struct Snapshot: Sendable {
        let tables: [TableChecksum]
        let auditSeq: Int64
        let serverVersion: String
        let migration: String
        let documents: [(id: UUID, sha256: String)]
        let dump: BackupManifest.File
        let sealedKey: Data
    }

    /// Takes a backup of council `slug` and prunes its older ones by the retention rule.
    public func take(_ slug: String, by actor: String) async throws -> Record {
        let tenant = try await lifecycle.show(slug).tenant
        guard tenant.status != .offboarded else {
            throw TenancyError.wrongStatus(slug: slug, status: "offboarded", wanted: "active or suspended")
        }
        let id = UUID()
        let scope = tenant.scope
        let council = tenant.slug.rawValue
        _ = archive.sweepPartials(council, before: Date().addingTimeInterval(-6 * 3_600))
        let partial = try archive.startPartial(council, id)
        let tenantID = tenant.id.uuidString
        try await database.transaction { session in
            try session.query(
                "INSERT INTO kerb_control.backups (id, tenant_id, folder, taken_by) VALUES ($1::uuid, $2::uuid, $3, $4)",
                [id.uuidString, tenantID, archive.folder(council, id).path, actor])
        }
        do {
            let snapshot = try await snapshot(scope, id: id, into: partial)
            var documents: [BackupManifest.Document] = []
            let copies = BackupArchive.documentStore(partial)
            for document in snapshot.documents {
                documents.append(try await copy(document, scope, into: copies))
            }
            let manifest = BackupManifest(
                id: id.uuidString.lowercased(), council: council, schema: scope.schema,
                takenAt: ISO8601DateFormatter().string(from: Date()), takenBy: actor, serverVersion: snapshot.serverVersion,
                migration: snapshot.migration, auditSeq: snapshot.auditSeq, tables: snapshot.tables, database: snapshot.dump,
                sealedKey: snapshot.sealedKey.base64EncodedString(), documents: documents)
            let writer = try BackupArchive.FileWriter(folder: partial, relative: BackupArchive.manifestFile)
            try writer.write(try BackupManifest.encoder().encode(manifest))
            let manifestFile = try writer.close()
            _ = try archive.complete(council, id, schema: scope.schema)
            let bytes = snapshot.dump.bytes + documents.reduce(0) { $0 + $1.file.bytes } + manifestFile.bytes
            let detail =
                "backup \(id.uuidString.lowercased()): \(manifest.tables.count) tables, \(manifest.rowCount) rows, \(documents.count) documents, \(bytes) bytes"
            try await database.transaction { session in
                try session.query(
                    """
                    UPDATE kerb_control.backups SET completed_at = now(), manifest_sha256 = $2, bytes = $3::bigint, tables = $4::int,
                        rows = $5::bigint, documents = $6::int
                    WHERE id = $1::uuid
                    """,
                    [
                        id.uuidString, manifestFile.sha256, String(bytes), String(manifest.tables.count), String(manifest.rowCount),
                        String(manifest.documents.count),
                    ])
                try TenantLifecycle.recordEvent(session, tenantID: tenantID, event: "backup-taken", actor: actor, detail: detail)
                try session.enterTenant(scope)
                try AuditLog.record(
                    AuditEvent(actorID: nil, actor: actor, action: "backup.taken", target: id.uuidString.lowercased(), detail: detail),
                    on: session)
                try session.leaveTenant()
            }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            try? await database.transaction { session in
                try TenantLifecycle.recordEvent(
                    session, tenantID: tenantID, event: "backup-failed", actor: actor,
                    detail: "backup \(id.uuidString.lowercased()): \((error as? any KerbError)?.publicDetail ?? "failed")")
            }
            throw error
        }
        try await prune(tenant)
        return try await record(id)
    }

    /// Counts, checksums and dumps the council in one read-only snapshot, the dump sealed as it
    /// streams into `folder`.
    func snapshot(_ scope: TenantScope, id: UUID, into folder: URL) async throws -> Snapshot {
        let keys = lifecycle.keys
        let tools = tools
        let databaseName = database.config.database
        return try await database.transaction { session in
            try session.readOnlySnapshot()
            let snapshotName = try session.exportSnapshot()
            let dataKey = try keys.current(session, scope)
            let server = try session.query("SHOW server_version_num").first?[0] ?? nil
            let migration =
                try session.query(
                    "SELECT max(version) FROM kerb_control.schema_migrations WHERE schema_name = $1", [scope.schema]
                ).first?[0] ?? nil
            let tables = try session.tableChecksums(scope)
            try session.enterTenant(scope)
            let auditSeq = try AuditLog.lastSeq(on: session)
            let documents = try session.query("SELECT id::text, encode(sha256, 'hex') FROM documents ORDER BY id").compactMap {
                row -> (id: UUID, sha256: String)? in
                guard let id = row[0].flatMap(UUID.init(uuidString:)), let hash = row[1] else { return nil }
                return (id, hash)
            }
            try session.leaveTenant()
            let contentKey = SymmetricKey(size: .bits256)
            let writer = try BackupArchive.SealedWriter(folder: folder, relative: BackupArchive.dumpFile, key: contentKey, id: id)
            try tools.run(
                PostgresTools.Step(
                    "pg_dump",
                    ["--format=custom", "--schema=\(scope.schema)", "--snapshot=\(snapshotName)", "--role=\(scope.ownerRole)"],
                    database: databaseName),
                output: { try writer.write($0) })
            let dump = try writer.close()
            let sealedKey = dataKey.seal(contentKey.withUnsafeBytes { Data($0) }, context: Self.keyContext(id))
            return Snapshot(
                tables: tables, auditSeq: auditSeq, serverVersion: server ?? "", migration: migration ?? "", documents: documents,
                dump: dump, sealedKey: sealedKey)
        }
    }

    /// Copies a document's stored file, as it is (encrypted), into the backup.
    func copy(_ document: (id: UUID, sha256: String), _ scope: TenantScope, into copies: FolderBlobStore) async throws
        -> BackupManifest.Document
    {
        let name = document.id.uuidString.lowercased()
        let reader: any BlobReader
        do { reader = try await blobs.read(scope.schema, name) } catch BlobStoreError.notFound {
            throw BackupError.doesNotVerify(["document \(name) has no stored file in the live store"])
        }
        let writer = try await copies.create(scope.schema, name)
        var hash = SHA256()
        var bytes = 0
        do {
            while let piece = try await reader.next() {
                hash.update(data: piece)
                bytes += piece.count
                try await writer.append(piece)
            }
            await reader.close()
            try await writer.commit()
        } catch {
            await reader.close()
            await writer.abandon()
            throw error
        }
        return BackupManifest.Document(
            id: name, sha256: document.sha256,
            file: BackupManifest.File(path: "documents/\(scope.schema)/\(name)", sha256: Hex.encode(hash.finalize()), bytes: bytes))
    }

    static func keyContext(_ id: UUID) -> String { "backup-key:\(id.uuidString.lowercased())" }

    // MARK: - reading the record

    static func record(_ row: [String?]) -> Record? {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard row.count == 14, let id = row[0].flatMap(UUID.init(uuidString:)), let council = row[1],
            let tenantID = row[2].flatMap(UUID.init(uuidString:)), let folder = row[3], let takenBy = row[4],
            let started = row[5].flatMap(format.date(from:))
        else { return nil }
        return Record(
            id: id, council: council, tenantID: tenantID, folder: folder, takenBy: takenBy, startedAt: started,
            completedAt: row[6].flatMap(format.date(from:)), manifestSHA256: row[7], bytes: row[8].flatMap { Int64($0) } ?? 0,
            rows: row[9].flatMap { Int64($0) } ?? 0, documents: row[10].flatMap { Int($0) } ?? 0, pruned: row[11] == "true",
            verifiedAt: row[12].flatMap(format.date(from:)), verifiedPassed: row[13].map { $0 == "true" })
    }

    /// One backup by id.
    public func record(_ id: UUID) async throws -> Record {
        let found = try await database.session { session in
            try session.query(Self.recordQuery, [id.uuidString, nil]).first
        }
        guard let found, let record = Self.record(found) else { throw BackupError.unknownBackup }
        return record
    }

    /// Backups with their last verification: $1 one backup's id, $2 one council's slug (either may be NULL).
    static let recordQuery: StaticString = """
        SELECT b.id::text, t.slug, b.tenant_id::text, b.folder, b.taken_by, to_char(b.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               to_char(b.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), b.manifest_sha256, coalesce(b.bytes, 0)::text,
               coalesce(b.rows, 0)::text, coalesce(b.documents, 0)::text, (b.pruned_at IS NOT NULL)::text,
               to_char(v.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), v.passed::text
        FROM kerb_control.backups b JOIN kerb_control.tenants t ON t.id = b.tenant_id
        LEFT JOIN LATERAL (SELECT finished_at, passed FROM kerb_control.backup_verifications x WHERE x.backup_id = b.id
                           ORDER BY x.finished_at DESC LIMIT 1) v ON true
        WHERE ($1::uuid IS NULL OR b.id = $1::uuid) AND ($2::text IS NULL OR t.slug = $2) ORDER BY b.started_at DESC
        """

    /// Every backup (of one council, or all), newest first, attempts that never finished included.
    public func list(_ slug: String? = nil) async throws -> [Record] {
        if let slug, Slug(slug) == nil { throw TenancyError.invalidSlug(slug) }
        return try await database.session { session in
            try session.query(Self.recordQuery, [nil, slug]).compactMap(Self.record)
        }
    }

    /// The council's newest complete backup that is not pruned.
    public func latest(_ slug: String) async throws -> Record {
        guard let newest = try await list(slug).first(where: { $0.completedAt != nil && !$0.pruned }) else {
            throw BackupError.notRestorable("\(slug) has no complete backup")
        }
        return newest
    }

    /// Removes the files of the council's complete backups the retention rule does not keep
    /// (never the newest one that verified).
    @discardableResult
    public func prune(_ tenant: Tenant, now: Date = Date()) async throws -> Int {
        let backups = try await list(tenant.slug.rawValue).filter { $0.completedAt != nil && !$0.pruned }
        var kept = retention.kept(backups.map { (id: $0.id, at: $0.completedAt ?? $0.startedAt) }, now: now)
        // A new backup is not yet proved: the newest one whose restore passed stays until one does.
        if let proved = backups.first(where: { $0.verifiedPassed == true }) { kept.insert(proved.id) }
        var pruned = 0
        for backup in backups where !kept.contains(backup.id) {
            try? FileManager.default.removeItem(atPath: backup.folder)
            let id = backup.id.uuidString
            try await database.transaction { session in
                try session.query("UPDATE kerb_control.backups SET pruned_at = now() WHERE id = $1::uuid", [id])
            }
            pruned += 1
        }
        return pruned
    }
}
