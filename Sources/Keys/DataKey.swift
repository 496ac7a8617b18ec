import Crypto
import Foundation

/// One version of a council's data key, unwrapped. It seals the council's secrets and the keys
/// of its documents; it never leaves the process and is never logged.
public struct DataKey: Sendable {
    public let version: Int
    let key: SymmetricKey

    init(version: Int, key: SymmetricKey) {
        self.version = version
        self.key = key
    }

    /// Seals `plain` for one purpose and record (`context`, e.g. "totp:<user id>"): the sealed
    /// bytes open only with this council's key and only for the same context, so a sealed value
    /// copied to another row or another council does not open.
    ///
    /// Layout: "K1", the key version (4 bytes, big-endian), then AES-256-GCM's nonce,
    /// ciphertext and tag.
    public func seal(_ plain: some DataProtocol, context: String) -> Data {
        var out = Sealed.prefix
        withUnsafeBytes(of: UInt32(version).bigEndian) { out.append(contentsOf: $0) }
        // AES-GCM with a 256-bit key and a random nonce does not fail.
        out.append((try? AES.GCM.seal(plain, using: key, authenticating: Data(context.utf8)).combined) ?? Data())
        return out
    }

    /// Opens what `seal` made with this version; nil if it was sealed for anything else.
    public func open(_ sealed: Data, context: String) -> Data? {
        guard Sealed.version(of: sealed) == version,
            let box = try? AES.GCM.SealedBox(combined: sealed.dropFirst(Sealed.headerCount)),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        else { return nil }
        return plain
    }

    static func random(version: Int) -> DataKey { DataKey(version: version, key: SymmetricKey(size: .bits256)) }
}

/// The header of a sealed value: which version of the council's key opens it.
public enum Sealed {
    static let prefix = Data("K1".utf8)
    static let headerCount = 6

    /// The key version a sealed value names, or nil if it is not a sealed value.
    public static func version(of sealed: Data) -> Int? {
        guard sealed.count > headerCount + 28, sealed.prefix(2).elementsEqual(prefix) else { return nil }
        return sealed.dropFirst(2).prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }
}
