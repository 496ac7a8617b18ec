import Crypto
import Foundation
import KerbCore

/// The key that wraps every council's data key. It never enters the database: it comes from a
/// file named by `KERB_MASTER_KEY_FILE` (base64 of 32 random bytes, readable by its owner only),
/// so a copy of the database alone opens nothing.
public struct MasterKey: Sendable {
    let key: SymmetricKey
    /// A fingerprint stored next to each wrapped key, so rotation knows what wrapped what. It is
    /// a keyed hash of a constant, not of the key's bytes, and reveals nothing about them.
    public let id: String

    public init(bytes: some ContiguousBytes) throws(KeysError) {
        let key = SymmetricKey(data: bytes)
        guard key.bitCount == 256 else { throw KeysError.masterKeyUnreadable("it must hold 32 bytes") }
        self.init(checked: key)
    }

    private init(checked key: SymmetricKey) {
        self.key = key
        let mac = HMAC<SHA256>.authenticationCode(for: Data("kerb-master-key-id".utf8), using: key)
        id = Hex.encode(Data(mac).prefix(8))
    }

    /// A fresh random key (tests, and `kerb keys new-master`).
    public static func random() -> MasterKey { MasterKey(checked: SymmetricKey(size: .bits256)) }

    /// The key's file form: base64 and a newline.
    public var fileText: String { key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n" }

    /// Reads `KERB_MASTER_KEY_FILE`.
    public static func fromEnvironment(_ env: [String: String]) throws(KeysError) -> MasterKey {
        guard let path = env["KERB_MASTER_KEY_FILE"], !path.isEmpty else { throw KeysError.masterKeyMissing }
        return try load(path: path)
    }

    /// Reads a key file; refuses one that group or others may read, as ssh does a private key.
    public static func load(path: String) throws(KeysError) -> MasterKey {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw KeysError.masterKeyUnreadable("\(path) cannot be read")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw KeysError.masterKeyUnreadable("\(path) is readable by others (chmod 600 it)")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count < 1024,
            let text = String(data: data, encoding: .utf8),
            let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw KeysError.masterKeyUnreadable("\(path) does not hold base64") }
        return try MasterKey(bytes: bytes)
    }

    /// Seals a council's data key, bound to the council's schema and the version, so a wrapped
    /// key cannot be moved to another council's row.
    func wrap(_ dataKey: SymmetricKey, schema: String, version: Int) -> Data {
        let plain = dataKey.withUnsafeBytes { Data($0) }
        // AES-GCM with a 256-bit key and a random nonce does not fail.
        return (try? AES.GCM.seal(plain, using: key, authenticating: Self.binding(schema, version)).combined) ?? Data()
    }

    func unwrap(_ wrapped: Data, schema: String, version: Int) -> SymmetricKey? {
        guard let box = try? AES.GCM.SealedBox(combined: wrapped),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Self.binding(schema, version)), plain.count == 32
        else { return nil }
        return SymmetricKey(data: plain)
    }

    static func binding(_ schema: String, _ version: Int) -> Data { Data("kerb-council-key:\(schema):\(version)".utf8) }
}
