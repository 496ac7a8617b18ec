import NIOPosix

/// Argon2id off the event loop: hashing and verifying run on a dedicated thread pool, so a burst
/// of sign-ins queues there instead of stalling every other request. Its thread count times
/// 19 MiB bounds the memory Argon2id can take.
public struct PasswordHasher: Sendable {
    let pool: NIOThreadPool
    public let parameters: Argon2id.Parameters

    /// `pool` must be started; the caller owns its lifetime.
    public init(pool: NIOThreadPool, parameters: Argon2id.Parameters = .owasp) {
        self.pool = pool
        self.parameters = parameters
    }

    public func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        return try await pool.runIfActive { try Argon2id.hash(password, parameters) }
    }

    /// Whether the password matches, and whether the stored hash should be replaced with one made
    /// at the current parameters (done at sign-in, when the password is at hand).
    public func verify(_ password: String, against encoded: String) async throws -> (matches: Bool, needsRehash: Bool) {
        let parameters = self.parameters
        return try await pool.runIfActive {
            let matches = Argon2id.verify(password, against: encoded)
            return (matches, matches && Argon2id.needsRehash(encoded, target: parameters))
        }
    }
}
