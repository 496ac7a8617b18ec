import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Argon2id off the event loop: hashing and verifying run on a dedicated thread pool, so a burst
/// of sign-ins queues there instead of stalling every other request. Its thread count times
/// 19 MiB bounds the memory Argon2id can take. The threads also run at a lower scheduling
/// priority (nice 19): on a busy machine the kernel serves the event loops and PostgreSQL first,
/// so sign-ins slow down instead of everyone else (measured by `infra/bench --only signin`).
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
        return try await pool.runIfActive {
            Self.yieldToRequests()
            return try Argon2id.hash(password, parameters)
        }
    }

    /// Whether the password matches, and whether the stored hash should be replaced with one made
    /// at the current parameters (done at sign-in, when the password is at hand).
    public func verify(_ password: String, against encoded: String) async throws -> (matches: Bool, needsRehash: Bool) {
        let parameters = self.parameters
        return try await pool.runIfActive {
            Self.yieldToRequests()
            let matches = Argon2id.verify(password, against: encoded)
            return (matches, matches && Argon2id.needsRehash(encoded, target: parameters))
        }
    }

    /// Lowers the calling pool thread's priority (on Linux the nice value is per thread and
    /// `who = 0` names the calling thread); a no-op after the first call on a thread
    /// (only a privileged process could raise it back, and nothing does).
    static func yieldToRequests() {
        #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }

    public static let niceness: Int32 = 19
}
