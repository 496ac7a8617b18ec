import Identity
import KerbCore

// The forms of signing in and of a person's own account, each decoded from its post by
// `PageFormDecoder`. Passwords are taken exactly as typed (never trimmed).

/// Email and password.
struct SignInForm: Decodable, Sendable {
    @Trimmed var email: String
    var password: String?

    /// What was left blank, before anything is looked up.
    var missing: [FieldIssue] {
        [
            email.isEmpty ? FieldIssue(field: "email", message: "Enter your email address") : nil,
            (password ?? "").isEmpty ? FieldIssue(field: "password", message: "Enter your password") : nil,
        ].compactMap { $0 }
    }
}

/// A six-digit code from an authenticator (or a recovery code), spaces allowed.
struct CodeForm: Decodable, Sendable {
    @Trimmed var code: String

    /// The code without the spaces people type between its groups.
    var entered: String { code.replacingOccurrences(of: " ", with: "") }

    /// A code that does not match the new authenticator's.
    static let notRight = FieldIssue(
        field: "code", message: "The code is not right. Check the app shows Kerb for this council and try the newest code")

    /// A refusal (too many tries, the enrolment expired), shown against the code.
    static func refused(_ error: IdentityError) -> FieldIssue { FieldIssue(field: "code", message: error.publicDetail) }
}

/// The one-time set-up link's token and the new password, twice.
struct SetupForm: Decodable, Sendable {
    @Trimmed var token: String
    var password: String?
    var confirm: String?

    /// The two passwords differ.
    var mismatch: FieldIssue? {
        (password ?? "") == (confirm ?? "") ? nil : FieldIssue(field: "confirm", message: "The passwords do not match")
    }

    /// A refused password (too short, too common…) or link, shown against the password field.
    static func issues(_ error: IdentityError) -> [FieldIssue] {
        if case .invalid(let found) = error.kind, !found.isEmpty {
            return found.map { FieldIssue(field: "password", message: $0.message) }
        }
        return [FieldIssue(field: "password", message: error.publicDetail)]
    }
}

/// The password again, before a sensitive change.
struct PasswordForm: Decodable, Sendable {
    var password: String?
}

/// A new password in place of the current one.
struct ChangePasswordForm: Decodable, Sendable {
    var currentPassword: String?
    var newPassword: String?
    var confirm: String?

    enum CodingKeys: String, CodingKey { case currentPassword = "current-password", newPassword = "new-password", confirm }
}
