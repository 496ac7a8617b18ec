// The forms of signing in and of a person's own account, each decoded from its post by
// `PageFormDecoder`. Passwords are taken exactly as typed (never trimmed).

/// Email and password.
struct SignInForm: Decodable, Sendable {
    @Trimmed var email: String
    var password: String?
}

/// A six-digit code from an authenticator (or a recovery code), spaces allowed.
struct CodeForm: Decodable, Sendable {
    @Trimmed var code: String

    /// The code without the spaces people type between its groups.
    var entered: String { code.replacingOccurrences(of: " ", with: "") }
}

/// The one-time set-up link's token and the new password, twice.
struct SetupForm: Decodable, Sendable {
    @Trimmed var token: String
    var password: String?
    var confirm: String?
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
