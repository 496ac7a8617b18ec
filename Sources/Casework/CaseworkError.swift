import Foundation
import KerbCore

/// A possible existing record for the person being entered.
public struct PersonMatch: Sendable, Equatable {
    public let id: UUID
    public let fullName: String
    public let postcode: String
    public let similarity: Double
}

public enum CaseworkError: KerbError, Equatable {
    case invalid([FieldIssue])
    case noSuchCase
    case noSuchPerson
    case possibleDuplicates([PersonMatch])
    case wrongStatus(ApplicationStatus, action: String)
    case assessorCannotDecide

    public var kind: KerbErrorKind {
        switch self {
        case .invalid(let issues): .invalid(issues)
        case .noSuchCase, .noSuchPerson: .notFound
        case .possibleDuplicates: .conflict
        case .wrongStatus: .conflict
        case .assessorCannotDecide: .forbidden
        }
    }

    public var code: String {
        switch self {
        case .invalid: "casework.invalid"
        case .noSuchCase: "casework.no-such-case"
        case .noSuchPerson: "casework.no-such-person"
        case .possibleDuplicates: "casework.possible-duplicates"
        case .wrongStatus: "casework.wrong-status"
        case .assessorCannotDecide: "casework.assessor-cannot-decide"
        }
    }

    public var publicDetail: String {
        switch self {
        case .invalid(let issues): issues.map(\.message).joined(separator: "; ")
        case .noSuchCase: "There is no such case, or you cannot see it"
        case .noSuchPerson: "There is no such person"
        case .possibleDuplicates(let matches):
            "This person may already be on record (\(matches.count) possible match\(matches.count == 1 ? "" : "es"))"
        case .wrongStatus(let status, let action): "A case that is \(status.label.lowercased()) cannot be \(action)"
        case .assessorCannotDecide: "You assessed this case, so someone else must decide it"
        }
    }
}
