import Audit
import Communications
import Foundation
import Logging
import PostgresNIO
import Storage

/// Self-service password reset by an emailed one-time link. Asking never reveals whether an
/// address has an account (the page answers the same either way, and nothing is sent for an
/// unknown one); an account gets at most one link per ten minutes; a link works once, within an
/// hour, for an active account only. Resetting ends every session of the person; their second
/// factor stays, so a link alone never signs anyone in.
extension AccountService {
    /// How long a reset link works.
    public static let resetLifetime: TimeInterval = 3_600
    /// The least time between two links for one account.
    public static let resetInterval: TimeInterval = 600

    /// Emails a reset link to `email` if it is an active person's account and none was sent in
    /// the last ten minutes; otherwise does nothing. The caller answers the same either way.
    public func requestPasswordReset(
        _ scope: TenantScope, email: String, now: Date, link: @Sendable (SetupToken) -> String, outbox: Outbox, logger: Logger
    ) async throws {
        let address = email.trimmingCharacters(in: .whitespaces)
        guard (3...254).contains(address.count), address.contains("@") else { return }
        try await database.transaction(scope, logger: logger) { conn in
            guard
                let row = try await conn.query(
                    """
                    SELECT u.id, u.full_name, (SELECT display_name FROM profile),
                        EXISTS (SELECT 1 FROM setup_tokens t WHERE t.user_id = u.id AND t.purpose = 'reset'
                                AND t.created_at > \(now.addingTimeInterval(-Self.resetInterval)))
                    FROM users u WHERE lower(u.email) = lower(\(address)) AND u.status = 'active' AND u.kind = 'person'
                    FOR UPDATE OF u
                    """, logger: logger
                ).collect().first
            else { return }
            let (userID, name, council, recent) = try row.decode((UUID, String, String, Bool).self)
            guard !recent else { return }
            let token = SetupToken.generate()
            _ = try await conn.query(
                """
                WITH revoked AS (UPDATE setup_tokens SET revoked_at = \(now)
                                 WHERE user_id = \(userID) AND purpose = 'reset' AND used_at IS NULL AND revoked_at IS NULL)
                INSERT INTO setup_tokens (user_id, token_hash, expires_at, purpose, created_at)
                VALUES (\(userID), \(Data(token.hash)), \(now.addingTimeInterval(Self.resetLifetime)), 'reset', \(now))
                """, logger: logger)
            try await outbox.enqueue(
                .passwordReset, to: Addressee(name: name, preferred: .email, email: address), about: .init(userID: userID),
                personalisation: [
                    "council": .text(council), "name": .text(name), "link": .text(link(token)),
                    "expires": .text(UserDirectory.longDateTime(now.addingTimeInterval(Self.resetLifetime))),
                ], by: nil, at: now, on: conn, logger: logger)
            try await AuditLog.record(
                AuditEvent(actorID: userID, actor: name, action: "users.password-reset-request", target: userID.uuidString), on: conn,
                logger: logger)
        }
    }

    /// Sets a new password with a reset link: the password must pass the rules and differ from
    /// the last ones (local policy); the link is used up, and every session of the person ends.
    public func resetPassword(_ scope: TenantScope, token: String, password: String, now: Date, logger: Logger) async throws {
        let policy = try await currentPolicy(scope, logger: logger)
        let problems = rules.with(minimumLength: policy.security.passwordMinLength).problems(with: password)
        guard problems.isEmpty else { throw IdentityError.weakPassword(problems) }
        let tokenHash = Data(SetupToken.hash(of: token))
        let depth = max(1, policy.security.passwordHistory)
        let found: (UUID, String, [String])? = try await database.transaction(scope, logger: logger) { conn in
            guard
                let row = try await conn.query(
                    """
                    SELECT u.id, u.full_name FROM setup_tokens t JOIN users u ON u.id = t.user_id
                    WHERE t.token_hash = \(tokenHash) AND t.purpose = 'reset' AND t.used_at IS NULL AND t.revoked_at IS NULL
                      AND t.expires_at > \(now) AND u.status = 'active'
                    """, logger: logger
                ).collect().first
            else { return nil }
            let (userID, name) = try row.decode((UUID, String).self)
            let history = try await conn.query(
                "SELECT password_hash FROM password_history WHERE user_id = \(userID) ORDER BY id DESC LIMIT \(depth)", logger: logger
            ).collect().map { try $0.decode(String.self) }
            return (userID, name, history)
        }
        guard let (userID, name, history) = found else { throw IdentityError.invalidSetupToken }
        for old in history where try await hasher.verify(password, against: old).matches { throw IdentityError.passwordReused }
        let hash = try await hasher.hash(password)
        try await database.transaction(scope, logger: logger) { conn in
            // Used up here, once: a second submission of the same link finds nothing to use.
            let used = try await conn.query(
                """
                UPDATE setup_tokens SET used_at = \(now)
                WHERE token_hash = \(tokenHash) AND purpose = 'reset' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(now)
                RETURNING 1
                """, logger: logger
            ).collect()
            guard !used.isEmpty else { throw IdentityError.invalidSetupToken }
            _ = try await conn.query(
                "UPDATE users SET password_hash = \(hash), password_changed_at = \(now) WHERE id = \(userID) AND status = 'active'",
                logger: logger)
            _ = try await conn.query("INSERT INTO password_history (user_id, password_hash) VALUES (\(userID), \(hash))", logger: logger)
            _ = try await conn.query(
                """
                UPDATE sessions SET ended_at = \(now), ended_reason = 'password-reset' WHERE user_id = \(userID) AND ended_at IS NULL
                """, logger: logger)
            try await AuditLog.record(
                AuditEvent(actorID: userID, actor: name, action: "users.password-reset", target: userID.uuidString), on: conn,
                logger: logger)
        }
    }
}
