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
    case reviewNotAvailable
    case reviewerMadeTheDecision
    case feeNotPaid
    case badgeAlreadyOrdered
    case noSuchBadge
    case badgeNotLive(String)
    case paymentNotNeeded
    /// The national register answered with a badge number Kerb cannot record (malformed, or
    /// one this council already holds). Nothing was recorded; the officer is told what to do.
    case registerAnswerUnusable(String)
    /// No such document on this case (or on a case the reader may see).
    case noSuchDocument
    /// The person's details were erased: there is nothing left to correct or export.
    case erased
    /// Erasure refused: the law still needs the record (each reason says why).
    case erasureRefused([String])

    public var kind: KerbErrorKind {
        switch self {
        case .invalid(let issues): .invalid(issues)
        case .noSuchCase, .noSuchPerson: .notFound
        case .possibleDuplicates: .conflict
        case .wrongStatus: .conflict
        case .assessorCannotDecide, .reviewerMadeTheDecision: .forbidden
        case .reviewNotAvailable: .conflict
        case .feeNotPaid, .badgeAlreadyOrdered, .badgeNotLive, .paymentNotNeeded, .registerAnswerUnusable: .conflict
        case .noSuchBadge, .noSuchDocument: .notFound
        case .erased, .erasureRefused: .conflict
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
        case .reviewNotAvailable: "casework.review-not-available"
        case .reviewerMadeTheDecision: "casework.reviewer-made-the-decision"
        case .feeNotPaid: "casework.fee-not-paid"
        case .badgeAlreadyOrdered: "casework.badge-already-ordered"
        case .noSuchBadge: "casework.no-such-badge"
        case .badgeNotLive: "casework.badge-not-live"
        case .paymentNotNeeded: "casework.payment-not-needed"
        case .registerAnswerUnusable: "casework.register-answer-unusable"
        case .noSuchDocument: "casework.no-such-document"
        case .erased: "casework.erased"
        case .erasureRefused: "casework.erasure-refused"
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
        case .reviewNotAvailable:
            "A review can be opened only for a refusal that offered one (not an automatic route), once, and decided only while open"
        case .reviewerMadeTheDecision: "You made the original decision, so someone else must review it"
        case .feeNotPaid: "The badge fee has not been paid yet"
        case .badgeAlreadyOrdered: "A badge has already been ordered for this application"
        case .noSuchBadge: "There is no such badge, or you cannot see it"
        case .badgeNotLive(let why): why
        case .paymentNotNeeded: "No fee is due: the fee has been paid, or the council charges none, or the application is not approved"
        case .noSuchDocument: "There is no such document, or you cannot see it"
        case .erased: "This person's details have been erased"
        case .erasureRefused(let reasons): "The record cannot be erased yet: " + reasons.joined(separator: "; ")
        case .registerAnswerUnusable(let why):
            "The national Blue Badge service answered with \(why), so no badge was recorded. Check the order with the national service before ordering again; the case shows what happened"

        }
    }
}
