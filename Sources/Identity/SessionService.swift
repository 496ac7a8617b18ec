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

    /// The live session for a cookie token, or nil. A session past its idle or absolute limit is
    /// ended on the spot with the reason recorded.
    public func resolve(_ scope: TenantScope, token: String, policy: LocalPolicyDocument.Security, now: Date, logger: Logger) async throws
        -> Session?
    {
        let hash = Data(Self.hash(token))
        return try await database.transaction(scope, logger: logger) { conn in
            let found = try await Self.sessions(
                conn,
                """
                SELECT id, user_id, stage, created_at, last_seen_at, user_agent FROM sessions
                WHERE token_hash = \(hash) AND ended_at IS NULL
                """, logger: logger
            ).first
            guard let session = found else { return nil }
            let idleEnd = session.lastSeenAt.addingTimeInterval(Double(policy.sessionIdleMinutes) * 60)
            let absoluteEnd = session.createdAt.addingTimeInterval(Double(policy.sessionAbsoluteHours) * 3600)
            if now >= idleEnd || now >= absoluteEnd {
                let reason = now >= absoluteEnd ? "absolute-timeout" : "idle-timeout"
                _ = try await conn.query(
                    "UPDATE sessions SET ended_at = \(now), ended_reason = \(reason) WHERE id = \(session.id)", logger: logger)
                return nil
            }
            _ = try await conn.query("UPDATE sessions SET last_seen_at = \(now) WHERE id = \(session.id)", logger: logger)
            return session
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
        let expected = Array(csrfToken(for: sessionToken).utf8)
        let given = Array(submitted.utf8)
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

    static func newToken() -> String { SetupToken.generate().token }
    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }
}
