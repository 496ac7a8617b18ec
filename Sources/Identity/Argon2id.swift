import CArgon2
import Crypto
import Foundation

/// Argon2id password hashing through libargon2: the only file that touches the C library.
/// Hashes are PHC-encoded strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) that carry their own
/// parameters, so verification works after the parameters change and `needsRehash` says when to
/// upgrade a stored hash at the next sign-in. CPU-heavy: call it off the event loop
/// (`PasswordHasher` runs it on its own thread pool).
public enum Argon2id {
    public struct Parameters: Sendable, Equatable {
        public var memoryKiB: UInt32
        public var iterations: UInt32
        public var parallelism: UInt32

        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }

        /// OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
        public static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)
    }

    public enum Failure: Error, Equatable {
        case library(String)
    }

    static let saltLength = 16
    static let hashLength = 32

    /// Hashes `password` with a fresh random salt.
    public static func hash(_ password: String, _ parameters: Parameters = .owasp) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
        let length = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism, UInt32(saltLength), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length + 1)
        let bytes = Array(password.utf8)
        let status = argon2id_hash_encoded(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism, bytes, bytes.count, salt, salt.count,
            hashLength, &encoded, encoded.count)
        guard status == ARGON2_OK.rawValue else { throw Failure.library(String(cString: argon2_error_message(status))) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `password` matches `encoded`; false for a mismatch or a malformed hash.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        let bytes = Array(password.utf8)
        return argon2id_verify(encoded, bytes, bytes.count) == ARGON2_OK.rawValue
    }

    /// The parameters an encoded hash was made with, or nil if it is not an Argon2id hash.
    public static func parameters(of encoded: String) -> Parameters? {
        let fields = encoded.split(separator: "$")
        guard fields.count == 5, fields[0] == "argon2id" else { return nil }
        var values: [Substring: UInt32] = [:]
        for pair in fields[2].split(separator: ",") {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let value = UInt32(kv[1]) else { return nil }
            values[kv[0]] = value
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }

    /// Whether a stored hash should be replaced (parameters changed) at the next successful sign-in.
    public static func needsRehash(_ encoded: String, target: Parameters = .owasp) -> Bool {
        parameters(of: encoded) != target
    }
}
