import KerbCore

/// What went wrong talking to the national Blue Badge service. `publicDetail` carries the
/// service's message keys and field names only: never the bearer token, and never the
/// service's free-text reasons, which may quote what was sent.
public enum NationalServiceError: KerbError, Equatable {
    /// The request would break the service's rules; found before anything was sent.
    case invalid([FieldIssue])
    /// The service refused the token (401): expired, revoked or wrong.
    case unauthorised
    /// The token is valid but not for this (403): another council's badge or application.
    case forbidden
    /// No such application or badge (404).
    case notFound
    /// The service refused the request (400): `message` is its key, e.g. `DateRange.badge.expiryDate`
    /// (or every field error's key, joined with "; ", when it gave no overall key), and `fields`
    /// names each field it objected to, e.g. `expiryDate`.
    case rejected(message: String, fields: [String])
    /// The service could not be reached in time, or answered with a server error or nonsense.
    case unavailable(String)

    public var kind: KerbErrorKind {
        switch self {
        case .invalid(let issues): .invalid(issues)
        case .unauthorised: .unavailable
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .rejected(let message, let fields):
            .invalid(fields.map { FieldIssue(field: $0, message: "The national Blue Badge service rejected this (\(message))") })
        case .unavailable: .unavailable
        }
    }

    public var code: String {
        switch self {
        case .invalid: "national.invalid"
        case .unauthorised: "national.unauthorised"
        case .forbidden: "national.forbidden"
        case .notFound: "national.not-found"
        case .rejected: "national.rejected"
        case .unavailable: "national.unavailable"
        }
    }

    public var publicDetail: String {
        switch self {
        case .invalid(let issues): issues.map(\.message).joined(separator: "; ")
        case .unauthorised: "The national Blue Badge service did not accept this council's credentials; an administrator must check them"
        case .forbidden: "The national Blue Badge service says this record belongs to another council"
        case .notFound: "The national Blue Badge service has no such record"
        case .rejected(let message, let fields):
            fields.isEmpty
                ? "The national Blue Badge service rejected the request: \(message)"
                : "The national Blue Badge service rejected the request: \(message) (fields: \(fields.joined(separator: ", ")))"
        case .unavailable(let detail): "The national Blue Badge service is unavailable: \(detail)"
        }
    }
}
