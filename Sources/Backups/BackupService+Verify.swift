import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Keys
import Storage
import Tenancy

extension BackupService {
    /// What a verification found, as recorded in the control plane and the council's trail.
    public struct Verification: Sendable, Equatable {
        public let backup: UUID
        public let council: String
        public let passed: Bool
        public let problems: [String]
        public let tables: Int
        public let rows: Int64
        public let documents: Int
        public let seconds: Double
    }

    /// Restores backup `id` into a scratch database, recomputes every table's count and
    /// checksum there, opens every document from the backup's own copy and hashes it, compares
    /// all of it with the manifest, drops the scratch database, and records the evidence. A
    /// backup that fails is recorded as failed with its reasons (and returned, not thrown).
    public func verify(_ id: UUID, by actor: String) async throws -> Verification {
        let record = try await record(id)
        guard record.completedAt != nil, !record.pruned else {
            throw BackupError.notRestorable("backup \(id.uuidString.lowercased()) is \(record.pruned ? "pruned" : "incomplete")")
        }
        let tenant = try await lifecycle.show(record.council).tenant
        let started = Date()
        var problems: [String] = []
        var counts = (tables: 0, rows: Int64(0), documents: 0)
        do {
            let manifest = try checkFiles(record, schema: tenant.scope.schema)
            problems = try await restoreIntoScratch(record, manifest, tenant.scope)
            counts = (manifest.tables.count, manifest.rowCount, manifest.documents.count)
        } catch BackupError.doesNotVerify(let found) {
            problems = found
        } catch let error as StorageError {
            problems = ["the restore failed: \(error.description)"]
        }
        let seconds = Date().timeIntervalSince(started)
        let result = Verification(
            backup: id, council: record.council, passed: problems.isEmpty, problems: problems, tables: counts.tables, rows: counts.rows,
            documents: counts.documents, seconds: seconds)
        try await recordVerification(result, tenant: tenant, started: started, by: actor)
        return result
    }

    /// The backup's files against its manifest, and the manifest against the control plane:
    /// any file missing, cut short or changed fails here, before anything is restored.
    func checkFiles(_ record: Record, schema: String) throws -> BackupManifest {
        let folder = URL(fileURLWithPath: record.folder, isDirectory: true)
        let manifestURL = folder.appendingPathComponent(BackupArchive.manifestFile)
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            throw BackupError.doesNotVerify(["\(BackupArchive.manifestFile) is missing"])
        }
        guard Hex.encode(SHA256.hash(data: data)) == record.manifestSHA256 else {
            throw BackupError.doesNotVerify(["\(BackupArchive.manifestFile) is not the one recorded when the backup was taken"])
        }
        guard let manifest = try? JSONDecoder().decode(BackupManifest.self, from: data), manifest.format == "kerb-backup/1",
            manifest.id == record.id.uuidString.lowercased(), manifest.schema == schema
        else { throw BackupError.doesNotVerify(["\(BackupArchive.manifestFile) does not describe this backup"]) }
        var problems: [String] = []
        func check(_ file: BackupManifest.File, as label: String) {
            guard !file.path.contains(".."), let found = BackupArchive.hash(folder.appendingPathComponent(file.path)) else {
                problems.append("\(label) is missing")
                return
            }
            if found.bytes < file.bytes {
                problems.append("\(label) is cut short (\(found.bytes) of \(file.bytes) bytes)")
            } else if found.bytes > file.bytes {
                problems.append("\(label) is longer than written (\(found.bytes) of \(file.bytes) bytes)")
            } else if found.sha256 != file.sha256 {
                problems.append("\(label) has changed since the backup was taken (SHA-256 differs)")
            }
        }
        check(manifest.database, as: BackupArchive.dumpFile)
        for document in manifest.documents { check(document.file, as: "document \(document.id)") }
        guard problems.isEmpty else { throw BackupError.doesNotVerify(problems) }
        return manifest
    }

    /// The dump's own key, opened with the council's live data key.
    func contentKey(_ manifest: BackupManifest, _ id: UUID, dataKey: DataKey) throws -> SymmetricKey {
        guard let sealed = Data(base64Encoded: manifest.sealedKey), let bytes = dataKey.open(sealed, context: Self.keyContext(id)) else {
            throw BackupError.doesNotVerify(["the backup's key does not open with the council's data key (rotated or destroyed since)"])
        }
        return SymmetricKey(data: bytes)
    }

    /// Restores into a new scratch database and compares; returns the differences. The scratch
    /// database is dropped whatever happens.
    func restoreIntoScratch(_ record: Record, _ manifest: BackupManifest, _ scope: TenantScope) async throws -> [String] {
        let keys = lifecycle.keys
        let dataKey = try await database.session { session in try keys.current(session, scope) }
        let key = try contentKey(manifest, record.id, dataKey: dataKey)
        let folder = URL(fileURLWithPath: record.folder, isDirectory: true)
        let scratch = ScratchDatabase()
        try await database.session { session in try session.createScratchDatabase(scratch) }
        do {
            let problems = try await restoreAndCompare(
                scratch, manifest, scope, key: key, dataKey: dataKey, folder: folder, id: record.id)
            try await database.session { session in try session.dropScratchDatabase(scratch) }
            return problems
        } catch {
            try? await database.session { session in try session.dropScratchDatabase(scratch) }
            throw error
        }
    }

    private func restoreAndCompare(
        _ scratch: ScratchDatabase, _ manifest: BackupManifest, _ scope: TenantScope, key: SymmetricKey, dataKey: DataKey, folder: URL,
        id: UUID
    ) async throws -> [String] {
        let there = database.elsewhere(scratch)
        try await there.session { session in try session.prepareScratch(scratch, for: scope) }
        let tools = tools
        let dump = folder.appendingPathComponent(BackupArchive.dumpFile)
        try await database.blocking {
            let reader = try BackupArchive.SealedReader(dump, key: key, id: id)
            try tools.run(
                PostgresTools.Step(
                    "pg_restore",
                    ["--dbname=\(scratch.name)", "--role=\(scope.ownerRole)", "--single-transaction", "--exit-on-error"],
                    database: scratch.name),
                input: { try reader.next() })
        }
        let restored = try await there.transaction { session in
            try session.readOnlySnapshot()
            let tables = try session.tableChecksums(scope)
            try session.enterTenant(scope)
            let documents = try session.query("SELECT id::text, encode(sealed_key, 'base64'), encode(sha256, 'hex') FROM documents")
            try session.leaveTenant()
            return (tables: tables, documents: documents)
        }
        var problems = manifest.mismatches(restored: restored.tables)
        let listed = Dictionary(manifest.documents.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let copies = BackupArchive.documentStore(folder)
        for row in restored.documents {
            guard let id = row[0].flatMap(UUID.init(uuidString:)), let sealed = row[1].flatMap(Data.init(postgresBase64:)),
                let recorded = row[2]
            else { continue }
            let name = id.uuidString.lowercased()
            guard let entry = listed[name], entry.sha256 == recorded else {
                problems.append("document \(name) is on a restored row but not in the backup's documents")
                continue
            }
            do {
                var hash = SHA256()
                for try await piece in try await DocumentVault.open(id, sealedKey: sealed, dataKey: dataKey, store: copies, scope) {
                    hash.update(data: piece)
                }
                if Hex.encode(hash.finalize()) != recorded { problems.append("document \(name) does not match its recorded SHA-256") }
            } catch {
                problems.append("document \(name) does not open from the backup")
            }
        }
        if restored.documents.count != manifest.documents.count {
            problems.append("the restore holds \(restored.documents.count) documents, the backup \(manifest.documents.count)")
        }
        return problems
    }

    /// The evidence: in the control plane, in the supplier's tenant history and in the
    /// council's own audit trail, in one transaction.
    func recordVerification(_ result: Verification, tenant: Tenant, started: Date, by actor: String) async throws {
        let id = result.backup.uuidString.lowercased()
        let summary =
            result.passed
            ? "backup \(id) restored and checked: \(result.tables) tables, \(result.rows) rows, \(result.documents) documents match, in \(String(format: "%.1f", result.seconds)) s"
            : "backup \(id) failed verification: " + result.problems.joined(separator: "; ")
        let tenantID = tenant.id.uuidString
        let scope = tenant.scope
        let startedText = ISO8601DateFormatter().string(from: started)
        let mismatches = String(decoding: try JSONEncoder().encode(result.problems), as: UTF8.self)
        try await database.transaction { session in
            try session.query(
                """
                INSERT INTO kerb_control.backup_verifications
                    (backup_id, tenant_id, started_at, verified_by, passed, tables, rows, documents, mismatches)
                VALUES ($1::uuid, $2::uuid, $3::timestamptz, $4, $5::boolean, $6::int, $7::bigint, $8::int, ARRAY(SELECT jsonb_array_elements_text($9::jsonb)))
                """,
                [
                    id, tenantID, startedText, actor, result.passed ? "true" : "false", String(result.tables), String(result.rows),
                    String(result.documents), mismatches,
                ])
            try TenantLifecycle.recordEvent(
                session, tenantID: tenantID, event: result.passed ? "backup-verified" : "backup-verification-failed", actor: actor,
                detail: summary)
            try session.enterTenant(scope)
            try AuditLog.record(AuditEvent(actorID: nil, actor: actor, action: "backup.verified", target: id, detail: summary), on: session)
            try session.leaveTenant()
        }
    }
}
