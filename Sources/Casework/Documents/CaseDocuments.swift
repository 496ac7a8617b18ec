import Audit
import Documents
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// A document on a case as officers see it listed.
public struct CaseDocument: Sendable, Equatable {
    public init(
        id: UUID, stage: DocumentStage, documentClass: DocumentClass, fileName: String, mediaType: String, byteCount: Int, sha256: String,
        uploadedBy: String?, uploadedAt: Date
    ) {
        self.id = id
        self.stage = stage
        self.documentClass = documentClass
        self.fileName = fileName
        self.mediaType = mediaType
        self.byteCount = byteCount
        self.sha256 = sha256
        self.uploadedBy = uploadedBy
        self.uploadedAt = uploadedAt
    }

    public let id: UUID
    public let stage: DocumentStage
    public let documentClass: DocumentClass
    public let fileName: String
    public let mediaType: String
    public let byteCount: Int
    public let sha256: String
    public let uploadedBy: String?
    public let uploadedAt: Date
}

/// Where on the case a document was added.
public enum DocumentStage: String, Sendable, Codable, CaseIterable {
    case application, review, badge, enforcement

    public var label: String {
        switch self {
        case .application: "The application"
        case .review: "The review of the decision"
        case .badge: "The badge"
        case .enforcement: "Enforcement"
        }
    }
}

/// What a document is evidence of.
public enum DocumentClass: String, Sendable, Codable, CaseIterable {
    case evidence, identity, address, photo, correspondence, enforcement

    public var label: String {
        switch self {
        case .evidence: "Supporting evidence"
        case .identity: "Proof of identity"
        case .address: "Proof of address"
        case .photo: "Photograph"
        case .correspondence: "Correspondence"
        case .enforcement: "Enforcement evidence"
        }
    }
}

/// Uploading and opening a case's documents. The same rules as every casework step: the case's
/// team decides who may, another team's case (and so its documents) answers like a missing one,
/// and each upload and each opening writes the audit trail in the transaction that records it.
///
/// An upload is streamed into the blob store first, outside any transaction (it may take a
/// while); only then does one transaction lock the case, check access again, insert the row and
/// audit it. If that transaction fails the blob is removed; if the process dies in between, the
/// blob has no row and the sweep removes it. Either way no row names a missing blob.
public struct CaseDocuments: Sendable {
    let cases: CaseService
    let vault: DocumentVault

    public init(cases: CaseService, vault: DocumentVault) {
        self.cases = cases
        self.vault = vault
    }

    /// The file names and classes a request may give; checked before any byte is stored.
    public struct Upload: Sendable {
        public var stage: DocumentStage
        public var documentClass: DocumentClass
        public var fileName: String

        public init(stage: DocumentStage, documentClass: DocumentClass, fileName: String) {
            self.stage = stage
            self.documentClass = documentClass
            self.fileName = fileName
        }
    }

    public static let maxFileNameCharacters = 255

    /// Stores `body` on case `reference` once `actor` may edit it, within the council's document
    /// policy (size, types). Returns the document as listed.
    public func upload(
        _ scope: TenantScope, reference: String, _ upload: Upload, body: some AsyncSequence<Data, any Error>,
        policy: LocalPolicyDocument.Documents, as actor: Actor, logger: Logger
    ) async throws -> CaseDocument {
        guard upload.fileName.unicodeScalars.count <= Self.maxFileNameCharacters else {
            throw CaseworkError.invalid([FieldIssue(field: "file", message: "The file name must be 255 characters or fewer")])
        }
        // Access first, so a refused officer's bytes are never stored.
        try await cases.access.run(scope, logger: logger) { conn in
            _ = try await CaseService.authorised(conn, reference, .editCase, as: actor, lock: false, logger)
        }
        let id = UUID()
        let stored = try await vault.store(
            body, id: id, scope, limitBytes: policy.maxBytes, allowed: Self.allowedTypes(policy), logger: logger)
        let name = SafeFileName.make(from: upload.fileName, type: stored.type)
        do {
            return try await cases.step(
                scope, reference, .editCase, as: actor, allowed: Set(ApplicationStatus.allCases), action: "given a document",
                audit: "document.uploaded", logger: logger
            ) { conn, caseID, _, now in
                let officer = actor.officer
                _ = try await conn.query(
                    """
                    INSERT INTO documents (id, application_id, stage, class, file_name, content_type, byte_count, sha256, sealed_key,
                        uploaded_by, uploaded_at)
                    VALUES (\(id), \(caseID), \(upload.stage.rawValue), \(upload.documentClass.rawValue), \(name),
                        \(stored.type.mediaType), \(stored.byteCount), \(stored.sha256), \(stored.sealedKey), \(officer.id), \(now))
                    """, logger: logger)
                try await CaseService.event(conn, caseID, officer, "document", "\(upload.documentClass.label): \(name)", logger)
                let document = CaseDocument(
                    id: id, stage: upload.stage, documentClass: upload.documentClass, fileName: name, mediaType: stored.type.mediaType,
                    byteCount: stored.byteCount, sha256: Hex.encode(stored.sha256), uploadedBy: officer.name, uploadedAt: now)
                return ("document \(id.uuidString.lowercased()) \(upload.documentClass.rawValue), \(stored.byteCount) bytes", document)
            }
        } catch {
            await vault.discard(id, scope, logger: logger)
            throw error
        }
    }

    /// Opens document `id` of case `reference` for `actor`, logging the view in the same
    /// transaction that checks it (who, from where, which document, whose). A document of another
    /// case, team or council answers like a missing one.
    public func open(_ scope: TenantScope, reference: String, id: UUID, as actor: Actor, logger: Logger) async throws -> (
        CaseDocument, DocumentStream
    ) {
        let (document, sealedKey) = try await cases.access.run(scope, logger: logger) { conn in
            let row = try await CaseService.authorised(conn, reference, .viewCase, as: actor, lock: false, logger)
            return try await Self.opened(conn, id: id, of: .application(row.id), by: actor.viewer, logger: logger)
        }
        return (document, try await vault.open(id, sealedKey: sealedKey, scope, logger: logger))
    }

    /// Removes the council's blobs that no row names and that are older than `age` (an upload
    /// interrupted between its blob and its row: the row is never committed before the blob, so
    /// only this direction can be left over). An upload commits its row within seconds of its
    /// blob, so an hour's margin never removes one in flight.
    public func sweepOrphans(_ scope: TenantScope, olderThan age: TimeInterval = 3600, logger: Logger) async throws -> Int {
        let rows = try await cases.database.transaction(scope, logger: logger) { conn in
            var ids: Set<UUID> = []
            for try await id in try await conn.query("SELECT id FROM documents", logger: logger).decode(UUID.self) { ids.insert(id) }
            return ids
        }
        return try await vault.sweep(scope, keeping: rows, before: cases.clock.now().addingTimeInterval(-age), logger: logger)
    }

    /// The types local policy accepts (uploads to cases and to enforcement cases alike).
    public static func allowedTypes(_ policy: LocalPolicyDocument.Documents) -> Set<DocumentType> {
        var types: Set<DocumentType> = []
        if policy.allowPdf { types.insert(.pdf) }
        if policy.allowJpeg { types.insert(.jpeg) }
        if policy.allowPng { types.insert(.png) }
        if policy.allowHeic { types.insert(.heic) }
        return types
    }
}

/// What a document belongs to: a case (application) or an enforcement case.
public enum DocumentOwner: Sendable {
    case application(UUID)
    case enforcementCase(UUID)
}

extension CaseDocuments {
    /// Document `id` of `owner` with its sealed key, its opening logged for `viewer` (who, from
    /// where, which document, whose) in the caller's transaction: the one read behind every
    /// download. Another owner's document answers like a missing one.
    public static func opened(_ conn: PostgresConnection, id: UUID, of owner: DocumentOwner, by viewer: Viewer, logger: Logger)
        async throws -> (CaseDocument, Data)
    {
        let (application, enforcementCase): (UUID?, UUID?) =
            switch owner {
            case .application(let id): (id, nil)
            case .enforcementCase(let id): (nil, id)
            }
        // Read whole before the view is logged on the same connection.
        let rows = try await conn.query(
            """
            SELECT d.stage, d.class, d.file_name, d.content_type, d.byte_count, encode(d.sha256, 'hex'), u.full_name,
                d.uploaded_at, d.sealed_key, coalesce(a.person_id, e.person_id)
            FROM documents d LEFT JOIN applications a ON a.id = d.application_id
                LEFT JOIN enforcement_cases e ON e.id = d.enforcement_case_id LEFT JOIN users u ON u.id = d.uploaded_by
            WHERE d.id = \(id) AND (d.application_id = \(application) OR d.enforcement_case_id = \(enforcementCase))
            """, logger: logger
        ).collect()
        guard
            let (stage, kind, name, media, count, hash, by, at, key, person) = try rows.first?.decode(
                (String, String, String, String, Int, String, String?, Date, Data, UUID?).self),
            let stage = DocumentStage(rawValue: stage), let kind = DocumentClass(rawValue: kind)
        else { throw CaseworkError.noSuchDocument }
        try await ViewLog.record(RecordView(.document, id.uuidString.lowercased(), personID: person), by: viewer, on: conn, logger: logger)
        let document = CaseDocument(
            id: id, stage: stage, documentClass: kind, fileName: name, mediaType: media, byteCount: count, sha256: hash, uploadedBy: by,
            uploadedAt: at)
        return (document, key)
    }
}
