import Crypto
import Foundation
import KerbCore

/// A one-time link token that lets a new user set their own password and 2FA. Only its SHA-256
/// is stored, so reading the database does not let anyone sign in; the plain token is shown once.
public struct SetupToken: Sendable {
    /// 256 random bits, base64url without padding: safe in a URL path.
    public let token: String
    public let hash: [UInt8]
    /// Seven days: long enough for a council admin to act on an onboarding email.
    public static let lifetime: TimeInterval = 7 * 24 * 3600

    public static func generate() -> SetupToken {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let token = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return SetupToken(token: token, hash: hash(of: token))
    }

    public static func hash(of token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }

    /// The hash as a PostgreSQL `bytea` hex literal for bound text parameters.
    public var hashHex: String { "\\x" + Hex.encode(hash) }
}
