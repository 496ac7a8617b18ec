import Crypto
import Foundation
import KerbCore
import Keys
import Logging
import Storage

/// Stores and opens one council's documents: each is encrypted as it streams in, under its own
/// random key, which is sealed with the council's data key and kept on the document's row. So
/// rotating a council's key re-seals small keys, not files; and destroying the council's key
/// makes every copy of its blobs unreadable.
public struct DocumentVault: Sendable {
    public let keys: KeyRing
    public let store: any BlobStore

    public init(keys: KeyRing, store: any BlobStore) {
        self.keys = keys
        self.store = store
    }

    /// What the document's row records once the blob is safely written.
    public struct Stored: Sendable, Equatable {
        public let id: UUID
        public let type: DocumentType
        public let byteCount: Int
        public let sha256: Data
        public let sealedKey: Data
    }

    /// Why an upload was refused. Nothing is kept of a refused upload.
    public enum Refusal: KerbError, Equatable {
        case empty
        case tooLarge(limitBytes: Int)
        /// The content is not one of the council's allowed types (nil: not a type Kerb knows).
        case typeNotAllowed(DocumentType?)

        public var kind: KerbErrorKind {
            switch self {
            case .empty: .invalid([FieldIssue(field: "file", message: publicDetail)])
            case .tooLarge: .tooLarge
            case .typeNotAllowed: .unsupportedMediaType
            }
        }
        public var code: String {
            switch self {
            case .empty: "documents.empty"
            case .tooLarge: "documents.too-large"
            case .typeNotAllowed: "documents.type-not-allowed"
            }
        }
        public var publicDetail: String {
            switch self {
            case .empty: "Choose a file to upload"
            case .tooLarge(let limit): "The file must be \(limit / (1024 * 1024)) MB or smaller"
            case .typeNotAllowed(let type?): "The council does not accept \(type.rawValue.uppercased()) files"
            case .typeNotAllowed(nil): "The file must be a PDF, JPEG, PNG or HEIC (the type is read from the file itself)"
            }
        }
    }

    /// The context a document's key is sealed for: it opens only on this document's row.
    static func keyContext(_ id: UUID) -> String { "document-key:\(id.uuidString.lowercased())" }

    /// Streams `body` into a new encrypted blob named `id` in the council's namespace, checking
    /// the type from the first bytes and the size as it goes: a refusal leaves nothing behind.
    /// The caller commits the row after this returns and calls `discard` if that fails.
    public func store(
        _ body: some AsyncSequence<Data, any Error>, id: UUID, _ scope: TenantScope, limitBytes: Int, allowed: Set<DocumentType>,
        logger: Logger
    ) async throws -> Stored {
        let dataKey = try await keys.current(scope, logger: logger)
        return try await Self.store(body, id: id, dataKey: dataKey, store: store, scope, limitBytes: limitBytes, allowed: allowed)
    }

    /// The same with the council's data key in hand (an operator's import, on an admin session).
    public static func store(
        _ body: some AsyncSequence<Data, any Error>, id: UUID, dataKey: DataKey, store: any BlobStore, _ scope: TenantScope,
        limitBytes: Int, allowed: Set<DocumentType>
    ) async throws -> Stored {
        let fileKey = SymmetricKey(size: .bits256)
        var sealer = DocumentCipher.Sealer(key: fileKey, documentID: id)
        var hash = SHA256()
        var count = 0
        var head = Data()
        var type: DocumentType?
        var writer: (any BlobWriter)?
        do {
            for try await piece in body {
                count += piece.count
                guard count <= limitBytes else { throw Refusal.tooLarge(limitBytes: limitBytes) }
                hash.update(data: piece)
                if writer == nil {
                    head.append(piece)
                    guard head.count >= DocumentType.sniffBytes else { continue }
                    type = try Self.allowedType(head, allowed)
                    writer = try await store.create(scope.schema, id.uuidString.lowercased())
                    try await writer?.append(try sealer.add(head))
                    head = Data()
                } else {
                    let sealed = try sealer.add(piece)
                    if !sealed.isEmpty { try await writer?.append(sealed) }
                }
            }
            guard count > 0 else { throw Refusal.empty }
            if writer == nil {
                type = try Self.allowedType(head, allowed)
                writer = try await store.create(scope.schema, id.uuidString.lowercased())
                try await writer?.append(try sealer.add(head))
            }
            try await writer?.append(try sealer.finish())
            try await writer?.commit()
        } catch {
            await writer?.abandon()
            throw error
        }
        guard let type else { throw Refusal.typeNotAllowed(nil) }
        let sealedKey = dataKey.seal(fileKey.withUnsafeBytes { Data($0) }, context: Self.keyContext(id))
        return Stored(id: id, type: type, byteCount: count, sha256: Data(hash.finalize()), sealedKey: sealedKey)
    }

    static func allowedType(_ head: Data, _ allowed: Set<DocumentType>) throws(Refusal) -> DocumentType {
        guard let type = DocumentType.sniff(head), allowed.contains(type) else { throw .typeNotAllowed(DocumentType.sniff(head)) }
        return type
    }

    /// Removes a blob whose row did not commit.
    public func discard(_ id: UUID, _ scope: TenantScope, logger: Logger) async {
        do { try await store.delete(scope.schema, id.uuidString.lowercased()) } catch {
            logger.warning(
                "could not remove an uncommitted document blob; the sweep will", metadata: ["kerb.document": .string(id.uuidString)])
        }
    }

    /// The document's plaintext, decrypted as it is read. The caller has already decided the
    /// reader may see it.
    public func open(_ id: UUID, sealedKey: Data, _ scope: TenantScope, logger: Logger) async throws -> DocumentStream {
        let dataKey = try await keys.key(for: sealedKey, scope, logger: logger)
        return try await Self.open(id, sealedKey: sealedKey, dataKey: dataKey, store: store, scope)
    }

    /// Opens a document with the council's data key in hand (an operator's export).
    public static func open(_ id: UUID, sealedKey: Data, dataKey: DataKey, store: any BlobStore, _ scope: TenantScope) async throws
        -> DocumentStream
    {
        guard let keyBytes = dataKey.open(sealedKey, context: keyContext(id)) else { throw KeysError.sealedUnreadable }
        let reader = try await store.read(scope.schema, id.uuidString.lowercased())
        return DocumentStream(reader: reader, opener: DocumentCipher.Opener(key: SymmetricKey(data: keyBytes), documentID: id))
    }

    /// Deletes blobs in the council's namespace that no row names and that are older than
    /// `before` (an upload interrupted between its blob and its row), and stale temporary files.
    /// Returns how many went.
    public func sweep(_ scope: TenantScope, keeping rows: Set<UUID>, before: Date, logger: Logger) async throws -> Int {
        var removed = 0
        for blob in try await store.list(scope.schema) where blob.written < before {
            if let id = UUID(uuidString: blob.name), rows.contains(id) { continue }
            try await store.delete(scope.schema, blob.name)
            removed += 1
        }
        removed += try await store.removeIncomplete(scope.schema, before: before)
        if removed > 0 { logger.info("swept orphaned document blobs", metadata: ["kerb.count": .stringConvertible(removed)]) }
        return removed
    }
}

/// A document's plaintext as an async sequence of pieces.
public struct DocumentStream: AsyncSequence, Sendable {
    public typealias Element = Data
    let reader: any BlobReader
    let opener: DocumentCipher.Opener

    public func makeAsyncIterator() -> Iterator { Iterator(reader: reader, opener: opener) }

    public struct Iterator: AsyncIteratorProtocol {
        let reader: any BlobReader
        var opener: DocumentCipher.Opener
        var finished = false

        public mutating func next() async throws -> Data? {
            while !finished {
                guard let piece = try await reader.next() else {
                    finished = true
                    await reader.close()
                    let last = try opener.finish()
                    return last.isEmpty ? nil : last
                }
                let plain = try opener.add(piece)
                if !plain.isEmpty { return plain }
            }
            return nil
        }
    }
}
