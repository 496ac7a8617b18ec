import KerbCore

/// Sign-in and set-up failures. Wrong email and wrong password are one error, so the answer
/// never tells anyone which accounts exist.
public enum IdentityError: KerbError, Equatable {
    case invalidCredentials
    case locked
    /// The growing delay after a failed sign-in has not passed yet.
    case tooSoon(retryAfterSeconds: Int)
    case invalidSetupToken
    case weakPassword([FieldIssue])
    case passwordReused
    case invalid([FieldIssue])
    case noSuchAPIKey
    /// An API request without a live key.
    case apiKeyRequired

    public var kind: KerbErrorKind {
        switch self {
        case .invalidCredentials, .locked, .tooSoon: .forbidden
        case .invalidSetupToken: .notFound
        case .weakPassword(let issues): .invalid(issues)
        case .passwordReused: .invalid([FieldIssue(field: "password", message: publicDetail)])
        case .invalid(let issues): .invalid(issues)
        case .noSuchAPIKey: .notFound
        case .apiKeyRequired: .unauthorised
        }
    }

    public var code: String {
        switch self {
        case .invalidCredentials: "identity.invalid-credentials"
        case .locked: "identity.locked"
        case .tooSoon: "identity.too-soon"
        case .invalidSetupToken: "identity.invalid-setup-token"
        case .weakPassword: "identity.weak-password"
        case .passwordReused: "identity.password-reused"
        case .invalid: "identity.invalid"
        case .noSuchAPIKey: "identity.no-such-api-key"
        case .apiKeyRequired: "identity.api-key-required"
        }
    }

    public var publicDetail: String {
        switch self {
        case .invalidCredentials: "The email address or password is not right"
        case .locked: "This account is locked after too many failed sign-ins. Try again later or ask your administrator to unlock it"
        case .tooSoon(let seconds): "Wait \(seconds) second\(seconds == 1 ? "" : "s") before trying again"
        case .invalidSetupToken: "This set-up link has expired or has already been used. Ask your administrator for a new one"
        case .weakPassword(let issues): issues.map(\.message).joined(separator: "; ")
        case .passwordReused: "Choose a password you have not used recently"
        case .invalid(let issues): issues.map(\.message).joined(separator: "; ")
        case .noSuchAPIKey: "There is no such live API key"
        case .apiKeyRequired: "Send a live API key for this council: Authorization: Bearer kerb_…"
        }
    }
}
