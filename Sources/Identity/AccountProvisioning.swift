import Foundation
import KerbCore
import Storage

/// Creates accounts inside a tenant schema. Onboarding uses it for the council's first admin:
/// no default password ever exists, only a one-time set-up link.
public enum AccountProvisioning {
    /// Checks a person's name and email; an account always belongs to one named person
    /// (seed 001, rec 6: no shared or generic accounts).
    public static func validate(fullName: String, email: String) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        let name = fullName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || !name.contains(" ") {
            issues.append(FieldIssue(field: "admin-name", message: "Enter the administrator's full name (first and last name)"))
        }
        let trimmed = email.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || trimmed.contains(" ") || trimmed.count > 254 {
            issues.append(FieldIssue(field: "admin-email", message: "Enter the administrator's email address, like name@council.gov.uk"))
        }
        return issues
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
