import Audit
import Communications
import Foundation
import KerbCore
import Logging
import PostgresNIO
import Storage

/// An authority admin's view of the council's accounts: who exists, their groups, 2FA, lock
/// and password age (who is due for rotation), and the changes admins make to them. Every change
/// is audited in the same transaction as its effect.
public struct UserDirectory: Sendable {
    public let database: TenantDatabase
    /// Where an invitation's set-up link is written, to go by email.
    let outbox: Outbox

    public init(database: TenantDatabase, outbox: Outbox) {
        self.database = database
        self.outbox = outbox
    }

    public struct Account: Sendable {
        public let id: UUID
        public let fullName: String
        public let email: String
        public let status: String
        public let hasTOTP: Bool
        public let passwordChangedAt: Date?
        public let lockedUntil: Date?
        public let failedSignIns: Int
        public let groups: [String]
        public let pendingGroups: [String]

        /// When the password must next be changed under `maxAgeDays` (nil: never, or not set yet).
        public func passwordDue(maxAgeDays: Int) -> Date? {
            guard maxAgeDays > 0, let changed = passwordChangedAt else { return nil }
            return changed.addingTimeInterval(Double(maxAgeDays) * 86_400)
        }

        public func isLocked(at now: Date) -> Bool { lockedUntil.map { $0 > now } ?? false }
    }

    public struct Attempt: Sendable {
        public let outcome: String
        public let at: Date
    }

    public enum Failure: KerbError, Equatable {
        case invalid([FieldIssue])
        case emailTaken
        case noSuchUser

        public var kind: KerbErrorKind {
            switch self {
            case .invalid(let issues): .invalid(issues)
            case .emailTaken: .invalid([FieldIssue(field: "email", message: publicDetail)])
            case .noSuchUser: .notFound
            }
        }

        public var code: String {
            switch self {
            case .invalid: "identity.invalid-account"
            case .emailTaken: "identity.email-taken"
            case .noSuchUser: "identity.no-such-user"
            }
        }

        public var publicDetail: String {
            switch self {
            case .invalid(let issues): issues.map(\.message).joined(separator: "; ")
            case .emailTaken: "There is already an account with this email address"
            case .noSuchUser: "There is no such user"
            }
        }
    }

    public func list(_ scope: TenantScope, logger: Logger) async throws -> [Account] {
        try await accounts(scope, id: nil, logger: logger)
    }

    public func account(_ scope: TenantScope, id: UUID, logger: Logger) async throws -> Account {
        guard let account = try await accounts(scope, id: id, logger: logger).first else {
            throw Failure.noSuchUser
        }
        return account
    }

    /// Creates an invited account with a one-time set-up token and asks for its first groups
    /// (pending a second admin's approval when policy says so). The set-up link (`link` makes it
    /// from the token) is emailed to the person through the outbox, in the same transaction.
    public func invite(
        _ scope: TenantScope, fullName: String, email: String, groupIDs: [UUID], needsApproval: Bool, by actor: AuditEvent, now: Date,
        link: @Sendable (SetupToken) -> String, logger: Logger
    ) async throws -> (userID: UUID, token: SetupToken) {
        let issues = AccountProvisioning.validate(fullName: fullName, email: email, fields: ("full-name", "email"))
        guard issues.isEmpty else { throw Failure.invalid(issues) }
        do {
            return try await database.transaction(scope, logger: logger) { conn in
                let (userID, token) = try await AccountProvisioning.invite(conn, fullName: fullName, email: email, now: now, logger: logger)
                for groupID in groupIDs {
                    try await AccessGroupService.insertMembership(
                        conn, userID: userID, groupID: groupID, requestedBy: actor.actorID, needsApproval: needsApproval, now: now,
                        logger: logger)
                }
                var event = actor
                event.action = "users.invite"
                event.target = userID.uuidString
                event.detail = "\(groupIDs.count) group(s) requested, set-up link emailed"
                try await AuditLog.record(event, on: conn, logger: logger)
                let council = try await conn.query("SELECT display_name FROM profile", logger: logger).collect().first?.decode(String.self)
                try await outbox.enqueue(
                    .accountSetUp, to: Addressee(name: fullName, preferred: .email, email: email), about: .init(userID: userID),
                    personalisation: [
                        "council": .text(council ?? "your council"), "name": .text(fullName), "link": .text(link(token)),
                        "expires": .text(Self.longDateTime(now.addingTimeInterval(SetupToken.lifetime))),
                    ], by: actor.actorID, at: now, on: conn, logger: logger)
                return (userID, token)
            }
        } catch  where DatabaseRefusal.refused(error, with: DatabaseRefusal.uniqueViolation) {
            throw Failure.emailTaken
        }
    }

    /// Lifts a lockout: the password throttle of the account's email and its second-factor count.
    public func unlock(_ scope: TenantScope, userID: UUID, by actor: AuditEvent, logger: Logger) async throws {
        try await change(
            scope, userID: userID,
            """
            WITH cleared AS (
                DELETE FROM sign_in_throttle
                WHERE email_hash = (SELECT sha256(convert_to(lower(email), 'UTF8')) FROM users WHERE id = $1))
            UPDATE users SET failed_codes = 0, codes_locked_until = NULL
            """, action: "users.unlock", actor, logger)
    }

    /// Disables an account, revokes its unused set-up links and ends its sessions, in one
    /// transaction; the row and its history stay. A link sent earlier cannot bring it back.
    public func disable(_ scope: TenantScope, userID: UUID, by actor: AuditEvent, now: Date, logger: Logger) async throws {
        try await change(
            scope, userID: userID,
            """
            WITH revoked AS (
                UPDATE setup_tokens SET revoked_at = now() WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL),
            ended AS (
                UPDATE sessions SET ended_at = now(), ended_reason = 'account-disabled' WHERE user_id = $1 AND ended_at IS NULL)
            UPDATE users SET status = 'disabled'
            """, action: "users.disable", actor, logger)
    }

    /// The latest sign-in attempts of one user, newest first (lockout evidence for the admin).
    public func attempts(_ scope: TenantScope, userID: UUID, limit: Int = 20, logger: Logger) async throws -> [Attempt] {
        try await database.transaction(scope, logger: logger) { conn in
            var attempts: [Attempt] = []
            for try await (outcome, at) in try await conn.query(
                "SELECT outcome, at FROM sign_in_attempts WHERE user_id = \(userID) ORDER BY id DESC LIMIT \(limit)", logger: logger
            ).decode((String, Date).self) { attempts.append(Attempt(outcome: outcome, at: at)) }
            return attempts
        }
    }

    private func change(
        _ scope: TenantScope, userID: UUID, _ update: String, action: String, _ actor: AuditEvent, _ logger: Logger
    ) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            var found = false
            for try await _ in try await conn.query(
                PostgresQuery(unsafeSQL: update + " WHERE id = $1 RETURNING id", binds: Self.binds(userID)), logger: logger
            ).decode(UUID.self) { found = true }
            guard found else { throw Failure.noSuchUser }
            var event = actor
            event.action = action
            event.target = userID.uuidString
            try await AuditLog.record(event, on: conn, logger: logger)
        }
    }

    private static func binds(_ id: UUID) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(id)
        return binds
    }

    /// All accounts, or the one with `id`.
    private func accounts(_ scope: TenantScope, id: UUID?, logger: Logger) async throws -> [Account] {
        try await database.transaction(scope, logger: logger) { conn in
            var accounts: [Account] = []
            let query: PostgresQuery = """
                SELECT u.id, u.full_name, u.email, u.status, u.totp_enrolled_at IS NOT NULL, u.password_changed_at,
                    greatest(t.locked_until, u.codes_locked_until), coalesce(t.failures, 0) + u.failed_codes,
                    coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE m.status = 'active'), '{}'),
                    coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE m.status = 'pending'), '{}')
                FROM users u
                LEFT JOIN sign_in_throttle t ON t.email_hash = sha256(convert_to(lower(u.email), 'UTF8'))
                LEFT JOIN group_memberships m ON m.user_id = u.id AND m.status IN ('active', 'pending')
                LEFT JOIN access_groups g ON g.id = m.group_id
                WHERE u.kind = 'person' AND (\(id)::uuid IS NULL OR u.id = \(id))
                GROUP BY u.id, t.email_hash ORDER BY lower(u.full_name)
                """
            for try await row in try await conn.query(query, logger: logger)
                .decode((UUID, String, String, String, Bool, Date?, Date?, Int, [String], [String]).self)
            {
                accounts.append(
                    Account(
                        id: row.0, fullName: row.1, email: row.2, status: row.3, hasTOTP: row.4, passwordChangedAt: row.5,
                        lockedUntil: row.6, failedSignIns: row.7, groups: row.8, pendingGroups: row.9))
            }
            return accounts
        }
    }

    /// "9 December 2026 at 14:05" in UK time, as a link's expiry reads in an email.
    static func longDateTime(_ date: Date) -> String {
        var style = Date.FormatStyle(date: .long, time: .shortened, locale: Locale(identifier: "en_GB"))
        style.timeZone = TimeZone(identifier: "Europe/London") ?? .gmt
        return date.formatted(style)
    }
}
