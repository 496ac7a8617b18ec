import Notify

/// The messages Kerb sends. Raw values are stored and name the default wording's files.
public enum MessageKind: String, Sendable, CaseIterable {
    case acknowledgement
    case evidenceRequest = "evidence-request"
    case approval
    case refusal
    case reviewOutcome = "review-outcome"
    case paymentRequest = "payment-request"
    case badgeOrdered = "badge-ordered"
    case renewalInvitation = "renewal-invitation"
    case accountSetUp = "account-set-up"
    case passwordReset = "password-reset"

    public var title: String {
        switch self {
        case .acknowledgement: "Acknowledgement"
        case .evidenceRequest: "Evidence request"
        case .approval: "Approval"
        case .refusal: "Refusal with reasons"
        case .reviewOutcome: "Review outcome"
        case .paymentRequest: "Fee request"
        case .badgeOrdered: "Badge ordered"
        case .renewalInvitation: "Renewal invitation"
        case .accountSetUp: "Account set-up link"
        case .passwordReset: "Password reset link"
        }
    }

    /// The channels the kind may go by. A refusal and a review outcome carry reasons a text
    /// message cannot hold, so they go by email or letter; links to staff accounts only by email.
    public var channels: [NotifyChannel] {
        switch self {
        case .refusal, .reviewOutcome: [.letter, .email]
        case .accountSetUp, .passwordReset: [.email]
        default: [.letter, .email, .sms]
        }
    }

    /// Whether the kind is about a case (its fields are the case's) or a staff account.
    public var isCasework: Bool { self != .accountSetUp && self != .passwordReset }

    /// The personalisation Kerb supplies for the kind: the only names a council's wording may use.
    /// Every yes/no field `x` comes with its opposite `notX`, since Notify's conditional text has no "otherwise".
    public var fields: [String] {
        let common = [
            "council", "applicant", "reference", "date", "received", "targetDays", "reviewDays", "fee", "feeDue", "notFeeDue", "copyNote",
        ]
        switch self {
        case .acknowledgement, .approval: return common
        case .evidenceRequest: return common + ["items"]
        case .refusal: return common + ["reasons", "rationale", "reviewOffered", "notReviewOffered"]
        case .reviewOutcome: return common + ["overturned", "notOverturned", "rationale"]
        case .paymentRequest: return common + ["paymentLink"]
        case .badgeOrdered: return common + ["badgeNumber", "startDate", "expiryDate", "toCouncil", "notToCouncil", "replacesNote"]
        case .renewalInvitation: return common + ["badgeNumber", "expiryDate"]
        case .accountSetUp, .passwordReset: return ["council", "name", "link", "expires"]
        }
    }

    /// Values to preview a wording with when no case is chosen.
    public var sample: [String: NotifyValue] {
        var values: [String: NotifyValue] = [:]
        for field in fields {
            values[field] =
                switch field {
                case "items", "reasons": .list(["First example", "Second example"])
                case "feeDue", "reviewOffered", "toCouncil", "overturned": .flag(true)
                case _ where field.hasPrefix("not"): .flag(false)
                case "copyNote", "replacesNote": .text("")
                default: .text("[\(field)]")
                }
        }
        return values
    }
}
