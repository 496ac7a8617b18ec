/// The kinds of failure every module reports, so the web layer and the CLI can map them to an HTTP
/// status or an exit message without knowing the module that raised them.
public enum KerbErrorKind: Sendable, Equatable {
    case notFound
    case conflict
    case invalid([FieldIssue])
    case forbidden
    /// No credential, or one that is not (or no longer) valid: 401.
    case unauthorised
    case unavailable
    /// A request the server cannot read at all (a malformed form body, a hostile header): 400.
    case malformed
    /// A body in a format the route does not take (JSON to a form, a form to the API): 415.
    case unsupportedMediaType
    /// Too many attempts from one client in a short time: 429.
    case throttled
    /// A body larger than its limit (an upload past the council's size limit): 413.
    case tooLarge
}

/// One problem with one input field; shown next to the field and in the error summary.
public struct FieldIssue: Sendable, Equatable, Codable {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// An error a user or operator may see. `publicDetail` must never carry secrets or personal data:
/// it goes verbatim into problem+json bodies, HTML error pages and CLI messages.
public protocol KerbError: Error, Sendable {
    var kind: KerbErrorKind { get }
    /// A stable, dotted code such as `tenancy.unknown-authority`, for API clients and log search.
    var code: String { get }
    var publicDetail: String { get }
}
