import Crypto
import Foundation

/// One-time recovery codes for a lost authenticator: ten characters from an alphabet without
/// look-alikes (50 random bits), written `xxxxx-xxxxx`. Stored as SHA-256 only.
public enum RecoveryCode {
    static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<10).map { _ in alphabet.randomElement(using: &generator)! }
        return String(characters[..<5]) + "-" + String(characters[5...])
    }

    /// Case, spaces and the hyphen do not matter when a person types the code back.
    public static func hash(_ code: String) -> [UInt8] {
        let normalised = code.lowercased().filter { $0 != "-" && !$0.isWhitespace }
        return Array(SHA256.hash(data: Data(normalised.utf8)))
    }
}
