import Crypto
import Foundation
import Logging
import Policy
import PostgresNIO
import Storage

/// Sessions in the tenant's schema, with the idle and absolute limits of its local policy.
/// The cookie carries a random token; the database keeps only its SHA-256, so a database read
/// cannot hijack a session. The CSRF token is an HMAC of the session token, so forms can be
/// checked without storing it.
public struct SessionService: Sendable {
    public let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    public enum Stage: String, Sendable { case password, complete }

    public struct Session: Sendable, Equatable {
        public let id: UUID
        public let userID: UUID
        public let stage: Stage
        public let createdAt: Date
        public let lastSeenAt: Date
        public let userAgent: String?
    }

    /// A new session for `userID`; returns the token for the cookie (shown to no one else).
    public func start(_ scope: TenantScope, userID: UUID, stage: Stage, userAgent: String?, now: Date, logger: Logger) async throws
        -> String
    {
        let token = Self.newToken()
        let hash = Data(Self.hash(token))
        let agent = userAgent.map { String($0.prefix(200)) }
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                """
                INSERT INTO sessions (user_id, token_hash, stage, user_agent, created_at, last_seen_at)
                VALUES (\(userID), \(hash), \(stage.rawValue), \(agent), \(now), \(now))
                """, logger: logger)
        }
        return token
    }

    /// Everything a request needs about its signed-in user, read in one transaction: the live
    /// session (idle and absolute limits applied, last-seen moved on), the person, their access
    /// groups and teams, and the policy in force. Nil when the cookie names no live session or the
    /// account is no longer active.
    public func authenticate(_ scope: TenantScope, token: String, now: Date, logger: Logger) async throws -> SignedInUser? {
        let hash = Data(Self.hash(token))
        return try await database.transaction(scope, logger: logger) { conn in
            let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger).security
            var found: (UUID, String, Date, Date, UUID, String, String, Bool, Date?, String)?
            for try await row in try await conn.query(
                """
                SELECT s.id, s.stage, s.created_at, s.last_seen_at, u.id, u.full_name, u.email,
                    u.totp_enrolled_at IS NOT NULL, u.password_changed_at, u.status
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = \(hash) AND s.ended_at IS NULL
                """, logger: logger
            ).decode((UUID, String, Date, Date, UUID, String, String, Bool, Date?, String).self) { found = row }
            guard let found else { return nil }
            let (sessionID, stage, created, seen, userID, name, email, hasTOTP, changed, status) = found
            let idleEnd = seen.addingTimeInterval(Double(policy.sessionIdleMinutes) * 60)
            let absoluteEnd = created.addingTimeInterval(Double(policy.sessionAbsoluteHours) * 3600)
            let ending: String? =
                status != "active"
                ? "account-disabled"
                : now >= absoluteEnd ? "absolute-timeout" : now >= idleEnd ? "idle-timeout" : nil
            if let ending {
                _ = try await conn.query(
                    "UPDATE sessions SET ended_at = \(now), ended_reason = \(ending) WHERE id = \(sessionID)", logger: logger)
                return nil
            }
            _ = try await conn.query("UPDATE sessions SET last_seen_at = \(now) WHERE id = \(sessionID)", logger: logger)
            let principal = try await AccessGroupService.principal(conn, userID: userID, logger: logger)
            let maxAge = policy.passwordMaxAgeDays
            let expired = maxAge > 0 && (changed.map { $0.addingTimeInterval(Double(maxAge) * 86_400) < now } ?? true)
            return SignedInUser(
                sessionID: sessionID, stage: Stage(rawValue: stage) ?? .password, userID: userID, fullName: name, email: email,
                hasTOTP: hasTOTP, passwordExpired: expired, principal: principal, security: policy)
        }
    }

    /// Ends the session behind `token` (sign-out, or rotation before a new one starts).
    public func end(_ scope: TenantScope, token: String, reason: String, now: Date, logger: Logger) async throws {
        let hash = Data(Self.hash(token))
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                "UPDATE sessions SET ended_at = \(now), ended_reason = \(reason) WHERE token_hash = \(hash) AND ended_at IS NULL",
                logger: logger)
        }
    }

    /// Sign out everywhere: ends every open session of the user.
    public func endAll(_ scope: TenantScope, userID: UUID, reason: String, now: Date, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                "UPDATE sessions SET ended_at = \(now), ended_reason = \(reason) WHERE user_id = \(userID) AND ended_at IS NULL",
                logger: logger)
        }
    }

    /// A user's open sessions, newest first, for their own page and the admin's.
    public func open(_ scope: TenantScope, userID: UUID, logger: Logger) async throws -> [Session] {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.sessions(
                conn,
                """
                SELECT id, user_id, stage, created_at, last_seen_at, user_agent FROM sessions
                WHERE user_id = \(userID) AND ended_at IS NULL ORDER BY created_at DESC
                """, logger: logger)
        }
    }

    /// The CSRF token forms carry for this session.
    public static func csrfToken(for sessionToken: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("kerb-csrf".utf8), using: SymmetricKey(data: Data(sessionToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Constant-time check of a submitted CSRF token.
    public static func csrfMatches(_ submitted: String, sessionToken: String) -> Bool {
        constantTimeEquals(submitted, csrfToken(for: sessionToken))
    }

    /// Compares two secrets without leaking, through timing, how much of them matched.
    public static func constantTimeEquals(_ given: String, _ expected: String) -> Bool {
        let expected = Array(expected.utf8)
        let given = Array(given.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Runs a query selecting the session columns in `Session`'s order.
    private static func sessions(_ conn: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> [Session] {
        var sessions: [Session] = []
        for try await (id, user, stage, created, seen, agent) in try await conn.query(query, logger: logger)
            .decode((UUID, UUID, String, Date, Date, String?).self)
        {
            sessions.append(
                Session(
                    id: id, userID: user, stage: Stage(rawValue: stage) ?? .password, createdAt: created, lastSeenAt: seen, userAgent: agent
                ))
        }
        return sessions
    }

    public static func newToken() -> String { SetupToken.generate().token }
    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }
}

/// A request's signed-in user, as `SessionService.authenticate` found them.
public struct SignedInUser: Sendable {
    public let sessionID: UUID
    /// `.password` until the second factor is checked (or enrolled), then `.complete`.
    public let stage: SessionService.Stage
    public let userID: UUID
    public let fullName: String
    public let email: String
    public let hasTOTP: Bool
    /// Older than local policy allows: the user must change it before anything else.
    public let passwordExpired: Bool
    public let principal: Principal
    public let security: LocalPolicyDocument.Security
}
