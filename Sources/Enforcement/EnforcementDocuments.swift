import Audit
import Casework
import Documents
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Photographs and evidence files of an enforcement case (issue 11, item 1): the same encrypted
/// store, type check and policy limits as a case's documents, for those who manage enforcement.
/// The blob is stored first, outside any transaction; the row, the timeline entry and the
/// audit entry commit together after it (a failed commit removes the blob; a crash leaves an
/// orphan the sweep removes). Every opening is logged as a view, with the person concerned.
public struct EnforcementDocuments: Sendable {
    let enforcement: EnforcementService
    let vault: DocumentVault

    public init(enforcement: EnforcementService, vault: DocumentVault) {
        self.enforcement = enforcement
        self.vault = vault
    }

    /// What an enforcement case's files may be.
    public static let classes: [DocumentClass] = [.photo, .enforcement]

    /// Stores `body` on enforcement case `reference`. Returns the document as listed.
    public func upload(
        _ scope: TenantScope, reference: String, fileName: String, documentClass: DocumentClass, body: some AsyncSequence<Data, any Error>,
        policy: LocalPolicyDocument.Documents, as actor: Actor, logger: Logger
    ) async throws -> CaseDocument {
        guard fileName.unicodeScalars.count <= CaseDocuments.maxFileNameCharacters else {
            throw EnforcementError.invalid([FieldIssue(field: "file", message: "The file name must be 255 characters or fewer")])
        }
        guard Self.classes.contains(documentClass) else {
            throw EnforcementError.invalid([FieldIssue(field: "class", message: "Choose what the file is")])
        }
        try await enforcement.authorise(actor, scope, reference, logger: logger)
        _ = try await enforcement.database.transaction(scope, logger: logger) { conn in try await Self.caseID(conn, reference, logger) }
        let id = UUID()
        let stored = try await vault.store(
            body, id: id, scope, limitBytes: policy.maxBytes, allowed: CaseDocuments.allowedTypes(policy), logger: logger)
        let name = SafeFileName.make(from: fileName, type: stored.type)
        let now = enforcement.clock.now()
        let officer = actor.officer
        do {
            try await enforcement.database.transaction(scope, logger: logger) { conn in
                let caseID = try await Self.caseID(conn, reference, logger, lock: true)
                _ = try await conn.query(
                    """
                    INSERT INTO documents (id, enforcement_case_id, stage, class, file_name, content_type, byte_count, sha256, sealed_key,
                        uploaded_by, uploaded_at)
                    VALUES (\(id), \(caseID), 'enforcement', \(documentClass.rawValue), \(name), \(stored.type.mediaType),
                        \(stored.byteCount), \(stored.sha256), \(stored.sealedKey), \(officer.id), \(now))
                    """, logger: logger)
                _ = try await conn.query(
                    """
                    INSERT INTO enforcement_events (case_id, actor_id, actor, kind, detail)
                    VALUES (\(caseID), \(officer.id), \(officer.name), 'document', \("\(documentClass.label): \(name)"))
                    """, logger: logger)
                try await AuditLog.record(
                    actor.audit(
                        "document.uploaded", target: reference,
                        detail: "document \(id.uuidString.lowercased()) \(documentClass.rawValue), \(stored.byteCount) bytes"),
                    on: conn, logger: logger)
            }
        } catch {
            await vault.discard(id, scope, logger: logger)
            throw error
        }
        return CaseDocument(
            id: id, stage: .enforcement, documentClass: documentClass, fileName: name, mediaType: stored.type.mediaType,
            byteCount: stored.byteCount, sha256: Hex.encode(stored.sha256), uploadedBy: officer.name, uploadedAt: now)
    }

    /// Opens document `id` of enforcement case `reference`; a document of another case or
    /// council answers like a missing one. The view is logged in the same transaction.
    public func open(_ scope: TenantScope, reference: String, id: UUID, as actor: Actor, logger: Logger) async throws -> (
        CaseDocument, DocumentStream
    ) {
        try await enforcement.authorise(actor, scope, reference, logger: logger)
        let (document, sealedKey) = try await enforcement.database.transaction(scope, logger: logger) { conn in
            let caseID = try await Self.caseID(conn, reference, logger)
            return try await CaseDocuments.opened(conn, id: id, of: .enforcementCase(caseID), by: actor.viewer, logger: logger)
        }
        return (document, try await vault.open(id, sealedKey: sealedKey, scope, logger: logger))
    }

    /// The case's documents, newest first, in the caller's transaction.
    static func list(_ conn: PostgresConnection, caseID: UUID, logger: Logger) async throws -> [CaseDocument] {
        var documents: [CaseDocument] = []
        for try await (id, kind, name, media, count, hash, by, at) in try await conn.query(
            """
            SELECT d.id, d.class, d.file_name, d.content_type, d.byte_count, encode(d.sha256, 'hex'), u.full_name, d.uploaded_at
            FROM documents d LEFT JOIN users u ON u.id = d.uploaded_by
            WHERE d.enforcement_case_id = \(caseID) ORDER BY d.uploaded_at DESC
            """, logger: logger
        ).decode((UUID, String, String, String, Int, String, String?, Date).self) {
            guard let kind = DocumentClass(rawValue: kind) else { continue }
            documents.append(
                CaseDocument(
                    id: id, stage: .enforcement, documentClass: kind, fileName: name, mediaType: media, byteCount: count, sha256: hash,
                    uploadedBy: by, uploadedAt: at))
        }
        return documents
    }

    static func caseID(_ conn: PostgresConnection, _ reference: String, _ logger: Logger, lock: Bool = false) async throws -> UUID {
        var query: PostgresQuery = "SELECT id FROM enforcement_cases WHERE reference = \(reference)"
        if lock { query.sql += " FOR UPDATE" }
        for try await id in try await conn.query(query, logger: logger).decode(UUID.self) { return id }
        throw EnforcementError.noSuchCase
    }
}
