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

    var identityStatement: IdentityStatement { IdentityStatement(database: database) }

    /// What Identity registers with the read pipeline (session and API-key checks).
    public static var pipelineStatements: [String] { IdentityStatement.statements }

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

    /// Everything a request needs about its signed-in user: the live session (idle and absolute
    /// limits applied, last-seen moved on, or the session ended), the person, their access groups
    /// and teams, and the policy in force. Nil when the cookie names no live session or the
    /// account is no longer active.
    ///
    /// One statement (`authenticateSQL`, one round trip through the read pipeline): it reads the
    /// session with its user, groups and teams, decides the limits with the policy this process
    /// holds (`LocalPolicyCache`), and moves last-seen on or ends the session, only if the
    /// council's policy stamp, read in the same statement, is the one held. Nothing about the
    /// session is cached, so sign-out and revocation take effect on the next request. When the
    /// policy changed (or on a process's first request for the council) the statement writes
    /// nothing and returns the new document; it is cached and this request is decided by
    /// `authenticateReading`, the step-by-step transaction.
    public func authenticate(_ scope: TenantScope, token: String, now: Date, logger: Logger) async throws -> SignedInUser? {
        let hash = Data(Self.hash(token))
        let held = LocalPolicyCache.shared.held(for: scope)
        let known = held?.stamp ?? ""
        let parameters = [
            IdentityStatement.hex(hash), known, IdentityStatement.epoch(now), String(held?.document.security.sessionAbsoluteHours ?? 0),
            String(held?.document.security.sessionIdleMinutes ?? 0),
        ]
        guard let data = try await identityStatement.answer(Self.authenticateSQL, scope, parameters, logger: logger) else {
            throw PolicyError.unreadable("the council has no local policy")
        }
        let answer = try JSONDecoder().decode(Answer.self, from: data)
        // The statement decided with `held`'s limits only if its stamp is still the council's.
        guard answer.stamp == known, let document = held?.document else {
            if let text = answer.document { _ = try LocalPolicyCache.shared.document(for: scope, stamp: answer.stamp, text: text) }
            return try await authenticateReading(scope, hash: hash, now: now, logger: logger)
        }
        guard let sessionID = answer.sessionID, let userID = answer.userID, answer.ending == nil else { return nil }
        let maxAge = document.security.passwordMaxAgeDays
        let changed = answer.passwordChangedAt.map { Date(timeIntervalSince1970: $0) }
        let expired = maxAge > 0 && (changed.map { $0.addingTimeInterval(Double(maxAge) * 86_400) < now } ?? true)
        let groups = (answer.groups ?? []).map {
            AccessGroup(
                name: $0.name, permissions: Set($0.permissions.compactMap(Permission.init(rawValue:))), ownTeamsOnly: $0.ownTeamsOnly)
        }
        return SignedInUser(
            sessionID: sessionID, stage: Stage(rawValue: answer.stage ?? "") ?? .password, userID: userID,
            fullName: answer.fullName ?? "", email: answer.email ?? "", hasTOTP: answer.hasTOTP ?? false, passwordExpired: expired,
            principal: Principal(userID: userID, groups: groups, teams: Set(answer.teams ?? [])), policy: document)
    }

    /// `authenticate`'s statement. $1 the token's SHA-256 (hex), $2 the policy stamp held, $3 now
    /// (seconds since 1970), $4 and $5 the held policy's absolute (hours) and idle (minutes)
    /// limits. The session is touched or ended only when $2 is the council's stamp.
    static let authenticateSQL = """
        WITH policy AS (
            SELECT version::text || ':' || xmin::text AS stamp, document FROM policy_versions ORDER BY version DESC LIMIT 1),
        found AS (
            SELECT s.id, s.stage, u.id AS user_id, u.full_name, u.email, u.totp_enrolled_at IS NOT NULL AS has_totp,
                extract(epoch FROM u.password_changed_at)::float8 AS password_changed_at,
                CASE WHEN u.status <> 'active' THEN 'account-disabled'
                    WHEN to_timestamp($3::float8) >= s.created_at + make_interval(hours => $4::int) THEN 'absolute-timeout'
                    WHEN to_timestamp($3::float8) >= s.last_seen_at + make_interval(mins => $5::int) THEN 'idle-timeout' END AS ending
            FROM sessions s JOIN users u ON u.id = s.user_id, policy p
            WHERE s.token_hash = decode($1, 'hex') AND s.ended_at IS NULL AND p.stamp = $2),
        touched AS (
            UPDATE sessions SET last_seen_at = to_timestamp($3::float8) FROM found f
            WHERE sessions.id = f.id AND f.ending IS NULL RETURNING 1),
        ended AS (
            UPDATE sessions SET ended_at = to_timestamp($3::float8), ended_reason = f.ending FROM found f
            WHERE sessions.id = f.id AND f.ending IS NOT NULL RETURNING 1)
        SELECT json_build_object(
            'stamp', p.stamp, 'document', CASE WHEN p.stamp = $2 THEN NULL ELSE p.document::text END,
            'sessionID', f.id, 'stage', f.stage, 'userID', f.user_id, 'fullName', f.full_name, 'email', f.email,
            'hasTOTP', f.has_totp, 'passwordChangedAt', f.password_changed_at, 'ending', f.ending,
            'groups', (
                SELECT coalesce(json_agg(json_build_object(
                    'name', g.name, 'permissions', g.permissions, 'ownTeamsOnly', g.own_teams_only) ORDER BY g.name), '[]'::json)
                FROM group_memberships m JOIN access_groups g ON g.id = m.group_id
                WHERE m.user_id = f.user_id AND m.status = 'active'),
            'teams', (SELECT coalesce(json_agg(t.team ORDER BY t.team), '[]'::json) FROM user_teams t WHERE t.user_id = f.user_id)
        )::text
        FROM policy p LEFT JOIN found f ON true
        """

    /// `authenticateSQL`'s answer.
    private struct Answer: Decodable {
        struct Group: Decodable {
            let name: String
            let permissions: [String]
            let ownTeamsOnly: Bool
        }
        let stamp: String
        let document: String?
        let sessionID: UUID?
        let stage: String?
        let userID: UUID?
        let fullName: String?
        let email: String?
        let hasTOTP: Bool?
        let passwordChangedAt: Double?
        let ending: String?
        let groups: [Group]?
        let teams: [String]?
    }

    /// `authenticate` step by step, in one transaction of several statements: for a request whose
    /// council's policy is not the one this process holds (its first, or the first after a change).
    func authenticateReading(_ scope: TenantScope, hash: Data, now: Date, logger: Logger) async throws -> SignedInUser? {
        try await database.transaction(scope, logger: logger) { conn in
            let document = try await LocalPolicyStore.inForce(scope, on: conn, logger: logger)
            let policy = document.security
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
                hasTOTP: hasTOTP, passwordExpired: expired, principal: principal, policy: document)
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
    /// The council's local policy in force when this request's identity was checked (the check
    /// reads its stamp in the same statement), so the request's own rules need no second read.
    public let policy: LocalPolicyDocument
    public var security: LocalPolicyDocument.Security { policy.security }
}
