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
    /// teams), or nil for an unknown, malformed or revoked key. One transaction; last use is
    /// written at most once a minute so reads stay reads.
    public func authenticate(_ scope: TenantScope, key: String, now: Date, logger: Logger) async throws -> SignedInUser? {
        guard key.hasPrefix("kerb_"), key.count < 200 else { return nil }
        let hash = Data(SetupToken.hash(of: key))
        return try await database.transaction(scope, logger: logger) { conn in
            var found: (UUID, UUID, String, [String], Date?)?
            for try await row in try await conn.query(
                """
                SELECT k.id, k.user_id, u.full_name, k.permissions, k.last_used_at FROM api_keys k JOIN users u ON u.id = k.user_id
                WHERE k.key_hash = \(hash) AND k.revoked_at IS NULL AND u.status = 'active'
                """, logger: logger
            ).decode((UUID, UUID, String, [String], Date?).self) { found = row }
            guard let (keyID, userID, name, codes, lastUsed) = found else { return nil }
            if lastUsed.map({ now.timeIntervalSince($0) > 60 }) ?? true {
                _ = try await conn.query("UPDATE api_keys SET last_used_at = \(now) WHERE id = \(keyID)", logger: logger)
            }
            let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger).security
            let group = AccessGroup(name: name, permissions: Set(codes.compactMap(Permission.init(rawValue:))))
            return SignedInUser(
                sessionID: keyID, stage: .complete, userID: userID, fullName: name, email: "", hasTOTP: false, passwordExpired: false,
                principal: Principal(userID: userID, groups: [group]), security: policy)
        }
    }
}
