import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage
import ZIPFoundation

/// A subject access request (UK GDPR article 15) for one applicant: one ZIP archive with every
/// record the council holds about them (their person record, representatives, applications with
/// their timelines, notes, evidence, decisions, reviews, payments and letters, their badges and
/// enforcement cases about them), their documents decrypted, and the audit of who viewed or
/// changed those records; with a manifest giving each file's SHA-256.
///
/// Everything is selected by the person's id and the records that hang from it, in one
/// transaction that also audits the export; nothing is selected by name or search, so nothing of
/// another applicant can fall in. It needs `exports.run`, and the case it starts from must be
/// one the officer may see; the archive covers the person's records in every team, as the law
/// asks.
public struct SubjectAccess: Sendable {
    let cases: CaseService
    let vault: DocumentVault

    public init(cases: CaseService, vault: DocumentVault) {
        self.cases = cases
        self.vault = vault
    }

    public struct Archive: Sendable {
        /// The ZIP file, in a private temporary folder; the caller sends it and removes the folder.
        public let file: URL
        public let fileName: String
        public let documents: Int
    }

    /// The person's records as one JSON document: selected by the person's id only.
    static let recordSQL = """
        WITH subject AS (SELECT id FROM people WHERE id = $1::uuid),
        their_applications AS (SELECT a.* FROM applications a WHERE a.person_id = (SELECT id FROM subject)),
        their_badges AS (SELECT b.* FROM badges b WHERE b.person_id = (SELECT id FROM subject)),
        their_enforcement AS (
            SELECT e.* FROM enforcement_cases e
            WHERE e.person_id = (SELECT id FROM subject) OR e.badge IN (SELECT badge_number FROM their_badges))
        SELECT jsonb_build_object(
            'person', (SELECT to_jsonb(p) FROM people p WHERE p.id = (SELECT id FROM subject)),
            'representatives', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.created_at) FROM representatives r
                WHERE r.person_id = (SELECT id FROM subject)), '[]'),
            'applications', coalesce((SELECT jsonb_agg(to_jsonb(a) || jsonb_build_object(
                'timeline', coalesce((SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM application_events e WHERE e.application_id = a.id), '[]'),
                'notes', coalesce((SELECT jsonb_agg(to_jsonb(n) ORDER BY n.created_at) FROM application_notes n WHERE n.application_id = a.id), '[]'),
                'evidence', coalesce((SELECT jsonb_agg(to_jsonb(i) ORDER BY i.kind) FROM evidence_items i WHERE i.application_id = a.id), '[]'),
                'decision', (SELECT to_jsonb(d) FROM decisions d WHERE d.application_id = a.id),
                'reviews', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.requested_at) FROM reviews r WHERE r.application_id = a.id), '[]'),
                'payments', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.created_at) FROM payments p WHERE p.application_id = a.id), '[]'),
                'letters', coalesce((SELECT jsonb_agg(to_jsonb(l) ORDER BY l.created_at) FROM messages l WHERE l.application_id = a.id), '[]'),
                'documents', coalesce((SELECT jsonb_agg(to_jsonb(d) - 'sealed_key' ORDER BY d.uploaded_at) FROM documents d
                    WHERE d.application_id = a.id), '[]')
            ) ORDER BY a.reference) FROM their_applications a), '[]'),
            'badges', coalesce((SELECT jsonb_agg(to_jsonb(b) ORDER BY b.ordered_at) FROM their_badges b), '[]'),
            'enforcement', coalesce((SELECT jsonb_agg(to_jsonb(e) ORDER BY e.reported_at) FROM their_enforcement e), '[]'),
            'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('at', x.at, 'who', x.actor, 'action', x.action, 'record', x.target,
                'outcome', x.outcome, 'detail', x.detail, 'changes', x.changes) ORDER BY x.seq) FROM audit_events x
                WHERE x.target IN (SELECT reference FROM their_applications)
                   OR x.target IN (SELECT badge_number FROM their_badges)
                   OR x.target IN (SELECT reference FROM their_enforcement)
                   OR x.target = (SELECT id::text FROM subject)), '[]'),
            'views', coalesce((SELECT jsonb_agg(jsonb_build_object('at', v.at, 'who', v.actor, 'opened', v.kind, 'record', v.record)
                ORDER BY v.id) FROM record_views v WHERE v.person_id = (SELECT id FROM subject)), '[]')
        )::text
        """

    /// Writes the archive for the applicant of case `reference`.
    public func archive(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> Archive {
        let (record, documents, personID) = try await cases.access.run(scope, logger: logger) { conn in
            let row = try await CaseService.authorised(conn, reference, .viewCase, as: actor, lock: false, logger)
            try CaseAccess.check(actor, .runExports, AccessTarget(team: row.team), resource: reference, hidden: CaseworkError.noSuchCase)
            var personID: UUID?
            for try await id in try await conn.query("SELECT person_id FROM applications WHERE id = \(row.id)", logger: logger)
                .decode(UUID.self)
            { personID = id }
            guard let personID else { throw CaseworkError.noSuchCase }
            var record = ""
            for try await text in try await conn.query(
                PostgresQuery(unsafeSQL: Self.recordSQL, binds: try Self.binds(personID)), logger: logger
            )
            .decode(String.self) { record = text }
            var documents: [(UUID, String, String, Data)] = []
            for try await (id, name, hash, key) in try await conn.query(
                """
                SELECT d.id, d.file_name, encode(d.sha256, 'hex'), d.sealed_key FROM documents d
                JOIN applications a ON a.id = d.application_id WHERE a.person_id = \(personID) ORDER BY d.uploaded_at
                """, logger: logger
            ).decode((UUID, String, String, Data).self) { documents.append((id, name, hash, key)) }
            try await AuditLog.record(
                actor.audit(
                    "subject-access.exported", target: personID.uuidString.lowercased(),
                    detail: "from case \(reference); \(documents.count) documents"), on: conn, logger: logger)
            try await ViewLog.record(RecordView(.export, reference, personID: personID), by: actor.viewer, on: conn, logger: logger)
            return (record, documents, personID)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-sar-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            let fileName = "subject-access-\(personID.uuidString.lowercased().prefix(8)).zip"
            let file = folder.appendingPathComponent(fileName)
            let zip = try ZIPFoundation.Archive(url: file, accessMode: .create)
            var manifest: [[String: String]] = []
            func add(_ path: String, _ data: Data) throws {
                try zip.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
                    provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
                manifest.append(["path": path, "sha256": Hex.encode(SHA256.hash(data: data)), "bytes": String(data.count)])
            }
            try add("record.json", Self.pretty(record))
            for (id, name, hash, sealedKey) in documents {
                var content = Data()
                for try await piece in try await vault.open(id, sealedKey: sealedKey, scope, logger: logger) { content.append(piece) }
                guard Hex.encode(SHA256.hash(data: content)) == hash else { throw CaseworkError.noSuchDocument }
                try add("documents/\(id.uuidString.lowercased().prefix(8))-\(name)", content)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try add(
                "manifest.json",
                try encoder.encode([
                    "about": [
                        [
                            "subject": personID.uuidString.lowercased(), "council": scope.schema,
                            "made": ISO8601DateFormatter().string(from: Date()),
                        ]
                    ],
                    "files": manifest,
                ]))
            return Archive(file: file, fileName: fileName, documents: documents.count)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    static func binds(_ personID: UUID) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(personID.uuidString)
        return binds
    }

    static func pretty(_ json: String) -> Data {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return Data(json.utf8) }
        return data
    }
}
