import Foundation
import KerbCore
import Logging
import PostgresNIO
import Storage

/// Creates accounts inside a tenant schema. Onboarding uses it for the council's first admin:
/// no default password ever exists, only a one-time set-up link.
public enum AccountProvisioning {
    /// Checks a person's name and email; an account always belongs to one named person
    /// (seed 001, rec 6: no shared or generic accounts). Names made only of role or team words
    /// ("Blue Badge Team", "Admin User") and shared mailboxes (admin@, bluebadge@) are refused.
    /// `fields` names the form fields the issues point at.
    public static func validate(fullName: String, email: String, fields: (name: String, email: String) = ("admin-name", "admin-email"))
        -> [FieldIssue]
    {
        var issues: [FieldIssue] = []
        let name = fullName.trimmingCharacters(in: .whitespaces)
        let words = name.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init)
        if name.isEmpty || !name.contains(" ") || name.count > 200 {
            issues.append(FieldIssue(field: fields.name, message: "Enter the person's full name (first and last name)"))
        } else if words.allSatisfy(genericWords.contains) {
            issues.append(
                FieldIssue(field: fields.name, message: "Accounts are for one named person: enter their own name, not a team or role"))
        }
        let trimmed = email.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || trimmed.contains(" ") || trimmed.count > 254 {
            issues.append(FieldIssue(field: fields.email, message: "Enter the person's email address, like name@council.gov.uk"))
        } else if genericMailboxes.contains(parts[0].lowercased().filter(\.isLetter)) {
            issues.append(FieldIssue(field: fields.email, message: "Use the person's own email address, not a shared mailbox"))
        }
        return issues
    }

    static let genericWords: Set<String> = [
        "admin", "administrator", "administrators", "team", "blue", "badge", "badges", "bluebadge", "office", "officer", "user",
        "users", "staff", "shared", "service", "services", "support", "council", "parking", "reception", "duty", "test", "generic",
        "account", "the", "and", "of", "enquiries", "info", "manager", "supervisor", "temp", "temporary", "system",
    ]
    static let genericMailboxes: Set<String> = [
        "admin", "administrator", "team", "bluebadge", "bluebadges", "badges", "info", "enquiries", "office", "parking", "support",
        "reception", "noreply", "test", "shared", "contact", "hello", "duty",
    ]

    /// Inserts an invited user with a set-up token, in the caller's transaction (the admin's
    /// invite page). Returns the new user's id and the plain token, shown once.
    public static func invite(_ conn: PostgresConnection, fullName: String, email: String, now: Date, logger: Logger) async throws
        -> (UUID, SetupToken)
    {
        let token = SetupToken.generate()
        var userID: UUID?
        for try await id in try await conn.query(
            """
            INSERT INTO users (email, full_name) VALUES (\(email.trimmingCharacters(in: .whitespaces)),
                \(fullName.trimmingCharacters(in: .whitespaces))) RETURNING id
            """, logger: logger
        ).decode(UUID.self) { userID = id }
        guard let userID else { throw IdentityError.invalidSetupToken }
        _ = try await conn.query(
            """
            INSERT INTO setup_tokens (user_id, token_hash, expires_at)
            VALUES (\(userID), \(Data(token.hash)), \(now.addingTimeInterval(SetupToken.lifetime)))
            """, logger: logger)
        return (userID, token)
    }

    /// Inserts an authority admin and a set-up token. Must run inside the tenant's scope
    /// (`AdminSession.enterTenant`), in the caller's transaction. Returns the plain token.
    public static func createFirstAdmin(_ session: AdminSession, fullName: String, email: String) throws -> SetupToken {
        let rows = try session.query(
            "INSERT INTO users (email, full_name, is_admin) VALUES ($1, $2, true) RETURNING id",
            [email.trimmingCharacters(in: .whitespaces), fullName.trimmingCharacters(in: .whitespaces)])
        let token = SetupToken.generate()
        try session.query(
            "INSERT INTO setup_tokens (user_id, token_hash, expires_at) VALUES ($1::uuid, $2::bytea, now() + $3::interval)",
            [rows[0][0], token.hashHex, "\(Int(SetupToken.lifetime)) seconds"])
        return token
    }

    /// Inserts an invited user already in `groups` (active, as if approved at onboarding) with a
    /// set-up token, in the caller's tenant-scoped transaction. For demo and bulk loads run by
    /// supplier ops; admins inviting people use `invite`, which follows the approval policy.
    public static func createInvited(_ session: AdminSession, fullName: String, email: String, groups: [String]) throws -> SetupToken {
        let rows = try session.query(
            "INSERT INTO users (email, full_name) VALUES ($1, $2) RETURNING id",
            [email.trimmingCharacters(in: .whitespaces), fullName.trimmingCharacters(in: .whitespaces)])
        let userID = rows[0][0]
        for group in groups {
            try session.query(
                """
                INSERT INTO group_memberships (user_id, group_id, status, decided_at)
                SELECT $1::uuid, id, 'active', now() FROM access_groups WHERE name = $2
                """, [userID, group])
        }
        let token = SetupToken.generate()
        try session.query(
            "INSERT INTO setup_tokens (user_id, token_hash, expires_at) VALUES ($1::uuid, $2::bytea, now() + $3::interval)",
            [userID, token.hashHex, "\(Int(SetupToken.lifetime)) seconds"])
        return token
    }

    /// Replaces any unused set-up token of a user who has not yet set up their account with a new
    /// one (for a lost link, and for the demo, which prints fresh links on every run).
    public static func reissueSetupToken(_ session: AdminSession, email: String) throws -> SetupToken? {
        let rows = try session.query(
            "SELECT id FROM users WHERE lower(email) = lower($1) AND status = 'invited'", [email])
        guard let userID = rows.first?[0] else { return nil }
        try session.query(
            "UPDATE setup_tokens SET revoked_at = now() WHERE user_id = $1::uuid AND used_at IS NULL AND revoked_at IS NULL",
            [userID])
        let token = SetupToken.generate()
        try session.query(
            "INSERT INTO setup_tokens (user_id, token_hash, expires_at) VALUES ($1::uuid, $2::bytea, now() + $3::interval)",
            [userID, token.hashHex, "\(Int(SetupToken.lifetime)) seconds"])
        return token
    }
}
