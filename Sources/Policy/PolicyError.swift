import KerbCore

/// A policy that cannot be read or that breaches a statutory guardrail. Violations are all
/// listed, one per field, so an admin fixes them in one go.
public enum PolicyError: KerbError, Equatable {
    case unreadable(String)
    case violations([FieldIssue])

    public var kind: KerbErrorKind {
        switch self {
        case .unreadable(let message): .invalid([FieldIssue(field: "document", message: message)])
        case .violations(let issues): .invalid(issues)
        }
    }

    public var code: String {
        switch self {
        case .unreadable: "policy.unreadable"
        case .violations: "policy.guardrail-breached"
        }
    }

    public var publicDetail: String {
        switch self {
        case .unreadable(let message): "The policy could not be read: \(message)"
        case .violations(let issues): issues.map(\.message).joined(separator: "; ")
        }
    }

    public var issues: [FieldIssue] {
        if case .invalid(let issues) = kind { return issues }
        return []
    }
}
