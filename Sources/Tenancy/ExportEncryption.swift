import Crypto
import Documents
import Foundation
import KerbCore

/// An export's documents sealed to a key the council holds (issue 11, item 6), so the folder
/// can travel (a courier's disk, a file share) without the documents being readable on the way.
///
/// The council keeps an X25519 private key and gives Kerb the public half (32 bytes, base64, on
/// one line: `kerb tenant export keypair` makes a pair). Each document is encrypted as it streams
/// with a fresh content key in Kerb's own segmented format (`DocumentCipher`, the same as the
/// blob store), and the content key is sealed to the council's public key with HPKE (RFC 9180:
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), bound to the council and the document.
/// `kerb tenant export decrypt` opens them again with the private key. Tables stay readable:
/// the council's own tools read them; the documents are where the special category data is.
public enum ExportEncryption {
    public static let scheme = "hpke-x25519-sha256-aes256gcm/kerbdoc1"
    static let suite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)

    /// How one document was sealed, recorded in the manifest.
    public struct Sealed: Codable, Sendable, Equatable {
        public var scheme: String
        /// HPKE's encapsulated key and the sealed content key (base64).
        public var encapsulatedKey: String
        public var sealedKey: String
        /// The SHA-256 of the document itself (the file's own hash is of its ciphertext).
        public var plaintextSHA256: String
    }

    /// A council's public key, from its one-line file.
    public static func publicKey(file: URL) throws -> Curve25519.KeyAgreement.PublicKey {
        guard let raw = keyBytes(file),
            let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        else { throw TenancyError.exportKeyUnusable("\(file.lastPathComponent) must hold a 32-byte X25519 public key in base64") }
        return key
    }

    /// A council's private key, from its one-line file (refused if others may read it).
    public static func privateKey(file: URL) throws -> Curve25519.KeyAgreement.PrivateKey {
        let mode = (try? FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw TenancyError.exportKeyUnusable("\(file.lastPathComponent) may be read by others: chmod 600 it first")
        }
        guard let raw = keyBytes(file), let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
            throw TenancyError.exportKeyUnusable("\(file.lastPathComponent) must hold a 32-byte X25519 private key in base64")
        }
        return key
    }

    static func keyBytes(_ file: URL) -> Data? {
        guard let data = FileManager.default.contents(atPath: file.path), data.count <= 1024 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == 32 else { return nil }
        return raw
    }

    /// A new key pair for a council, as the two one-line files hold them (base64).
    public static func newPair() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.KeyAgreement.PrivateKey()
        return (key.rawRepresentation.base64EncodedString(), key.publicKey.rawRepresentation.base64EncodedString())
    }

    /// The short name of a public key, printed and kept in the manifest so the council can tell
    /// which of its keys opens the export.
    public static func fingerprint(_ key: Curve25519.KeyAgreement.PublicKey) -> String {
        String(Hex.encode(SHA256.hash(data: key.rawRepresentation)).prefix(16))
    }

    static func info(schema: String, document: String) -> Data { Data("kerb-export:\(schema):\(document)".utf8) }

    /// Seals a document's content key to the council.
    static func seal(_ contentKey: SymmetricKey, to recipient: Curve25519.KeyAgreement.PublicKey, schema: String, document: String)
        throws -> (encapsulated: Data, sealed: Data)
    {
        var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: suite, info: info(schema: schema, document: document))
        let sealed = try contentKey.withUnsafeBytes { try sender.seal(Data($0)) }
        return (sender.encapsulatedKey, sealed)
    }

    /// Opens a document's content key with the council's private key.
    static func open(_ entry: Sealed, with key: Curve25519.KeyAgreement.PrivateKey, schema: String, document: String) throws
        -> SymmetricKey
    {
        guard entry.scheme == scheme, let encapsulated = Data(base64Encoded: entry.encapsulatedKey),
            let sealed = Data(base64Encoded: entry.sealedKey)
        else { throw TenancyError.exportKeyUnusable("document \(document) was sealed in a way Kerb does not know") }
        do {
            var recipient = try HPKE.Recipient(
                privateKey: key, ciphersuite: suite, info: info(schema: schema, document: document), encapsulatedKey: encapsulated)
            return SymmetricKey(data: try recipient.open(sealed))
        } catch {
            throw TenancyError.exportKeyUnusable("this private key does not open document \(document) (another council's key?)")
        }
    }

    /// Writes the export in `folder` to `output` (a new or empty folder) with every sealed
    /// document opened and checked against its recorded SHA-256, the tables copied, and a
    /// manifest for the documents as they now are: an export in the clear, which
    /// `kerb tenant import` takes. Returns how many documents it opened.
    public static func decrypt(_ folder: URL, privateKey file: URL, to output: URL) throws -> Int {
        let key = try privateKey(file: file)
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("manifest.json").path),
            let manifest = try? JSONDecoder().decode(ExportManifest.self, from: data)
        else { throw TenancyError.exportNotRecognised("\(folder.path) has no Kerb export manifest") }
        try TenantExport.prepare(output)
        for table in manifest.tables {
            for entry in [table.csv, table.json] {
                guard !entry.path.contains(".."),
                    let data = FileManager.default.contents(atPath: folder.appendingPathComponent(entry.path).path)
                else { throw TenancyError.exportDoesNotVerify(["\(entry.path) is missing"]) }
                let writer = try ExportWriter(folder: output, relative: entry.path)
                try writer.write(data)
                guard try writer.close() == entry else { throw TenancyError.exportDoesNotVerify(["\(entry.path) has changed"]) }
            }
        }
        var count = 0
        var opened = manifest
        opened.sealedTo = nil
        for (index, document) in manifest.documents.enumerated() {
            guard let sealed = document.encryption, let id = UUID(uuidString: document.id), !document.file.path.contains("..") else {
                continue
            }
            let contentKey = try open(sealed, with: key, schema: manifest.schema, document: document.id)
            guard let input = FileHandle(forReadingAtPath: folder.appendingPathComponent(document.file.path).path) else {
                throw TenancyError.exportDoesNotVerify(["\(document.file.path) is missing"])
            }
            defer { try? input.close() }
            let relative = document.file.path.hasSuffix(".kerbdoc") ? String(document.file.path.dropLast(8)) : document.file.path
            let writer = try ExportWriter(folder: output, relative: relative)
            var opener = DocumentCipher.Opener(key: contentKey, documentID: id)
            do {
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { try writer.write(try opener.add(chunk)) }
                try writer.write(try opener.finish())
            } catch is DocumentCipher.Failure {
                throw TenancyError.exportDoesNotVerify(["\(document.file.path) does not decrypt: it was changed"])
            }
            let written = try writer.close()
            guard written.sha256 == sealed.plaintextSHA256 else {
                throw TenancyError.exportDoesNotVerify(["\(relative) does not match its recorded SHA-256"])
            }
            opened.documents[index].file = written
            opened.documents[index].encryption = nil
            count += 1
        }
        let writer = try ExportWriter(folder: output, relative: "manifest.json")
        try writer.write(try ExportManifest.encoder().encode(opened))
        _ = try writer.close()
        for sub in ["", "tables", "documents"] { try? FolderBlobStore.syncFolder(output.appendingPathComponent(sub).path) }
        return count
    }
}
