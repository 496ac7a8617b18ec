import Crypto
import Foundation

/// Encrypts a document as it streams, so no upload or download is ever held whole in memory.
///
/// AES-256-GCM over fixed-size segments, the construction of Tink's streaming AEAD and of age's
/// STREAM: each segment is sealed on its own, with a nonce made of a random prefix, the segment's
/// number and a flag marking the last one. A segment moved, dropped, repeated or cut off, or a
/// file cut short, fails to open. The associated data names the document, so one document's
/// blob does not open as another's. Each document has its own random key, so the counter nonces
/// never repeat under a key.
///
/// Layout: "KERBDOC1", the segment size (4 bytes, big-endian), the 7-byte nonce prefix, then the
/// segments, each its ciphertext and 16-byte tag.
public enum DocumentCipher {
    public static let segmentBytes = 64 * 1024
    static let magic = Data("KERBDOC1".utf8)
    static let headerCount = 8 + 4 + 7
    static let tagCount = 16

    public enum Failure: Error, Equatable {
        /// Not a Kerb document blob, or a damaged header.
        case notADocument
        /// A segment failed authentication: the wrong key or document, or tampering.
        case tampered
        /// The blob ends before its last segment.
        case truncated
    }

    static func nonce(prefix: Data, segment: UInt32, last: Bool) -> AES.GCM.Nonce? {
        var bytes = prefix
        withUnsafeBytes(of: segment.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(last ? 1 : 0)
        return try? AES.GCM.Nonce(data: bytes)
    }

    /// Seals a document's bytes as they arrive: `add` returns ciphertext as whole segments
    /// fill, `finish` the last segment.
    public struct Sealer: Sendable {
        let key: SymmetricKey
        let context: Data
        let prefix: Data
        var segment: UInt32 = 0
        var pending = Data()
        var started = false

        public init(key: SymmetricKey, documentID: UUID) {
            self.key = key
            context = Data("kerb-document:\(documentID.uuidString.lowercased())".utf8)
            prefix = Data((0..<7).map { _ in UInt8.random(in: 0...255) })
        }

        /// Ciphertext for the segments `bytes` completes (with the header first time).
        public mutating func add(_ bytes: some DataProtocol) throws -> Data {
            var out = header()
            pending.append(contentsOf: bytes)
            // A segment is sealed as "not last" only once more bytes follow it.
            while pending.count > DocumentCipher.segmentBytes {
                out.append(try seal(pending.prefix(DocumentCipher.segmentBytes), last: false))
                pending = Data(pending.dropFirst(DocumentCipher.segmentBytes))
            }
            return out
        }

        /// The last segment (possibly empty for an empty document).
        public mutating func finish() throws -> Data {
            var out = header()
            out.append(try seal(pending, last: true))
            pending = Data()
            return out
        }

        private mutating func header() -> Data {
            guard !started else { return Data() }
            started = true
            var header = DocumentCipher.magic
            withUnsafeBytes(of: UInt32(DocumentCipher.segmentBytes).bigEndian) { header.append(contentsOf: $0) }
            header.append(prefix)
            return header
        }

        private mutating func seal(_ plain: Data, last: Bool) throws -> Data {
            guard let nonce = DocumentCipher.nonce(prefix: prefix, segment: segment, last: last) else { throw Failure.notADocument }
            let box = try AES.GCM.seal(plain, using: key, nonce: nonce, authenticating: context)
            segment += 1
            return box.ciphertext + box.tag
        }
    }

    /// Opens a blob as it is read: `add` returns plaintext for each segment that is known not to
    /// be the last, `finish` checks and returns the last one.
    public struct Opener: Sendable {
        let key: SymmetricKey
        let context: Data
        var prefix: Data?
        var segmentBytes = 0
        var segment: UInt32 = 0
        var pending = Data()

        public init(key: SymmetricKey, documentID: UUID) {
            self.key = key
            context = Data("kerb-document:\(documentID.uuidString.lowercased())".utf8)
        }

        public mutating func add(_ bytes: some DataProtocol) throws -> Data {
            pending.append(contentsOf: bytes)
            if prefix == nil {
                guard pending.count >= DocumentCipher.headerCount else { return Data() }
                guard pending.prefix(8).elementsEqual(DocumentCipher.magic) else { throw Failure.notADocument }
                let size = pending.dropFirst(8).prefix(4).reduce(0) { $0 << 8 | Int($1) }
                guard size > 0, size <= 16 * 1024 * 1024 else { throw Failure.notADocument }
                segmentBytes = size
                prefix = Data(pending.dropFirst(12).prefix(7))
                pending = Data(pending.dropFirst(DocumentCipher.headerCount))
            }
            var out = Data()
            let sealedSegment = segmentBytes + DocumentCipher.tagCount
            while pending.count > sealedSegment {
                out.append(try open(pending.prefix(sealedSegment), last: false))
                pending = Data(pending.dropFirst(sealedSegment))
            }
            return out
        }

        public mutating func finish() throws -> Data {
            guard prefix != nil, pending.count >= DocumentCipher.tagCount else { throw Failure.truncated }
            let out = try open(pending, last: true)
            pending = Data()
            return out
        }

        private mutating func open(_ sealed: Data, last: Bool) throws -> Data {
            guard let prefix, let nonce = DocumentCipher.nonce(prefix: prefix, segment: segment, last: last) else {
                throw Failure.notADocument
            }
            let split = sealed.count - DocumentCipher.tagCount
            guard
                let box = try? AES.GCM.SealedBox(
                    nonce: nonce, ciphertext: sealed.prefix(split), tag: sealed.suffix(DocumentCipher.tagCount)),
                let plain = try? AES.GCM.open(box, using: key, authenticating: context)
            else { throw Failure.tampered }
            segment += 1
            return plain
        }
    }
}
