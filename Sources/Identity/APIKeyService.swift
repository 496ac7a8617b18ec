import Audit
import Crypto
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// API keys for a council's integrations. A key is `kerb_<prefix>_<secret>`: the prefix tells
/// keys apart in lists and logs, and only a SHA-256 of the whole key is stored (256 random bits
/// need no slow hash). Each key acts as its own integration identity, so the policy engine,
/// timelines and audit trail treat it like a person with exactly the permissions it was given.
public struct APIKeyService: Sendable {
    public let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    var identityStatement: IdentityStatement { IdentityStatement(database: database) }

    /// What a key may be given: casework, not administration (users, policy, audit stay with people
    /// who sign in with two factors).
    public static let grantable: [Permission] = [
        .viewCase, .editCase, .assessCase, .decideCase, .issueBadge, .takePayments, .manageEnforcement, .sendCommunications, .viewMI,
    ]

    public struct Key: Sendable, Equatable {
        public let id: UUID
        public let name: String
        public let prefix: String
        public let permissions: [Permission]
        public let createdAt: Date
        public let lastUsedAt: Date?
        public let revokedAt: Date?
    }

    /// Creates a key with `permissions` and returns it with the key text, which is never shown again.
    public func create(
        _ scope: TenantScope, name: String, permissions: Set<Permission>, by actor: AuditEvent, now: Date, logger: Logger
    ) async throws -> (id: UUID, key: String) {
        let name = name.trimmingCharacters(in: .whitespaces)
        var issues: [FieldIssue] = []
        if name.isEmpty || name.count > 80 {
            issues.append(FieldIssue(field: "name", message: "Name the integration (up to 80 characters)"))
        }
        let allowed = permissions.intersection(Self.grantable)
        if allowed.isEmpty { issues.append(FieldIssue(field: "permissions", message: "Choose at least one permission")) }
        guard issues.isEmpty else { throw IdentityError.invalid(issues) }
        let prefix = String(SetupToken.generate().token.filter { $0.isLetter || $0.isNumber }.prefix(8)).lowercased()
        let key = "kerb_\(prefix)_\(SetupToken.generate().token)"
        let hash = Data(SetupToken.hash(of: key))
        let codes = allowed.map(\.rawValue).sorted()
        let id = try await database.transaction(scope, logger: logger) { conn in
            var userID: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO users (email, full_name, status, kind)
                VALUES (\("api-key-\(prefix)@integrations.kerb.invalid"), \("API: \(name)"), 'active', 'integration') RETURNING id
                """, logger: logger
            ).decode(UUID.self) { userID = value }
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO api_keys (user_id, name, prefix, key_hash, permissions, created_by, created_at)
                VALUES (\(userID!), \(name), \(prefix), \(hash), \(codes), \(actor.actorID), \(now)) RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            var event = actor
            event.action = "api-keys.create"
            event.target = "\(name) (\(prefix))"
            event.detail = codes.joined(separator: ", ")
            try await AuditLog.record(event, on: conn, logger: logger)
            return id!
        }
        return (id, key)
    }

    public func list(_ scope: TenantScope, logger: Logger) async throws -> [Key] {
        try await database.transaction(scope, logger: logger) { conn in
            var keys: [Key] = []
            for try await row in try await conn.query(
                """
                SELECT id, name, prefix, permissions, created_at, last_used_at, revoked_at FROM api_keys
                ORDER BY revoked_at IS NOT NULL, lower(name)
                """, logger: logger
            ).decode((UUID, String, String, [String], Date, Date?, Date?).self) {
                keys.append(
                    Key(
                        id: row.0, name: row.1, prefix: row.2, permissions: row.3.compactMap(Permission.init(rawValue:)), createdAt: row.4,
                        lastUsedAt: row.5, revokedAt: row.6))
            }
            return keys
        }
    }

    /// Revokes a key at once: its next request is refused.
    public func revoke(_ scope: TenantScope, id: UUID, by actor: AuditEvent, now: Date, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            var found: (String, String, UUID)?
            for try await row in try await conn.query(
                "UPDATE api_keys SET revoked_at = \(now), revoked_by = \(actor.actorID) WHERE id = \(id) AND revoked_at IS NULL RETURNING name, prefix, user_id",
                logger: logger
            ).decode((String, String, UUID).self) { found = row }
            guard let found else { throw IdentityError.noSuchAPIKey }
            _ = try await conn.query("UPDATE users SET status = 'disabled' WHERE id = \(found.2)", logger: logger)
            var event = actor
            event.action = "api-keys.revoke"
            event.target = "\(found.0) (\(found.1))"
            try await AuditLog.record(event, on: conn, logger: logger)
        }
    }

    /// The integration behind `key`, as a signed-in user with the key's permissions only (no
    /// teams), or nil for an unknown, malformed or revoked key. Last use is written at most once a
    /// minute so reads stay reads.
    ///
    /// One statement (`authenticateSQL`, one round trip through the read pipeline): it finds the
    /// live key, moves last-use on when due, and reads the policy's stamp, returning the policy
    /// document only when it is not the one this process holds (`LocalPolicyCache`). Nothing about
    /// the key is cached, so a revocation refuses the very next request.
    public func authenticate(_ scope: TenantScope, key: String, now: Date, logger: Logger) async throws -> SignedInUser? {
        guard key.hasPrefix("kerb_"), key.count < 200 else { return nil }
        let hash = SetupToken.hash(of: key)
        let known = LocalPolicyCache.shared.stamp(for: scope)
        guard
            let data = try await identityStatement.answer(
                Self.authenticateSQL, scope, [IdentityStatement.hex(hash), known, IdentityStatement.epoch(now)], logger: logger)
        else { throw PolicyError.unreadable("the council has no local policy") }
        let answer = try JSONDecoder().decode(Answer.self, from: data)
        guard let keyID = answer.keyID, let userID = answer.userID else { return nil }
        let policy: LocalPolicyDocument
        if let document = try LocalPolicyCache.shared.document(for: scope, stamp: answer.stamp, text: answer.document) {
            policy = document
        } else {
            // Held when the statement ran, replaced since by another request's newer read: read it whole.
            policy = try await database.transaction(scope, logger: logger) { conn in
                try await LocalPolicyStore.inForce(scope, on: conn, logger: logger)
            }
        }
        let name = answer.fullName ?? ""
        let group = AccessGroup(name: name, permissions: Set((answer.permissions ?? []).compactMap(Permission.init(rawValue:))))
        return SignedInUser(
            sessionID: keyID, stage: .complete, userID: userID, fullName: name, email: "", hasTOTP: false, passwordExpired: false,
            principal: Principal(userID: userID, groups: [group]), policy: policy)
    }

    /// `authenticate`'s statement. $1 the key's SHA-256 (hex), $2 the policy stamp held, $3 now
    /// (seconds since 1970).
    static let authenticateSQL = """
        WITH policy AS (
            SELECT version::text || ':' || xmin::text AS stamp, document FROM policy_versions ORDER BY version DESC LIMIT 1),
        found AS (
            SELECT k.id, k.user_id, u.full_name, k.permissions, k.last_used_at FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = decode($1, 'hex') AND k.revoked_at IS NULL AND u.status = 'active'),
        touched AS (
            UPDATE api_keys SET last_used_at = to_timestamp($3::float8) FROM found f
            WHERE api_keys.id = f.id AND (f.last_used_at IS NULL OR to_timestamp($3::float8) - f.last_used_at > interval '60 seconds')
            RETURNING 1)
        SELECT json_build_object(
            'stamp', p.stamp, 'document', CASE WHEN p.stamp = $2 THEN NULL ELSE p.document::text END,
            'keyID', f.id, 'userID', f.user_id, 'fullName', f.full_name, 'permissions', f.permissions
        )::text
        FROM policy p LEFT JOIN found f ON true
        """

    /// `authenticateSQL`'s answer.
    private struct Answer: Decodable {
        let stamp: String
        let document: String?
        let keyID: UUID?
        let userID: UUID?
        let fullName: String?
        let permissions: [String]?
    }
}
