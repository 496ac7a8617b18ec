import Foundation
import KerbCore

/// A request to GOV.UK Pay to take a card payment (`POST /v1/payments`).
///
/// The limits are GOV.UK Pay's published ones (docs.payments.service.gov.uk, "Create a payment"):
/// amount 1…10,000,000 pence, reference and description 1…255 characters, `return_url` at most
/// 2,000 characters, language `en` or `cy`. GOV.UK Pay accepts plain HTTP return URLs only on test
/// accounts, so Kerb allows `http://` only for `localhost` and `127.0.0.1` (the demo and the tests).
public struct CreatePayment: Sendable, Equatable {
    /// The amount the paying user will be charged, in pence.
    public var amountPence: Int
    /// Kerb's own reference for the payment; not unique on GOV.UK Pay's side.
    public var reference: String
    /// Shown to the paying user on GOV.UK Pay's pages, so it must not carry personal data.
    public var description: String
    /// Where GOV.UK Pay sends the user when their payment journey ends.
    public var returnURL: String
    /// `en` or `cy`: the language of GOV.UK Pay's payment pages.
    public var language: String

    public init(amountPence: Int, reference: String, description: String, returnURL: String, language: String = "en") {
        self.amountPence = amountPence
        self.reference = reference
        self.description = description
        self.returnURL = returnURL
        self.language = language
    }

    /// The largest amount GOV.UK Pay takes in one payment: £100,000.
    public static let maximumAmountPence = 10_000_000

    /// Every problem with this request, one per field; empty when GOV.UK Pay should accept it.
    public var issues: [FieldIssue] {
        var issues: [FieldIssue] = []
        if !(1...Self.maximumAmountPence).contains(amountPence) {
            issues.append(.init(field: "amount", message: "The amount must be between 1p and £100,000"))
        }
        if !(1...255).contains(reference.count) {
            issues.append(.init(field: "reference", message: "The payment reference must be 1 to 255 characters"))
        }
        if !(1...255).contains(description.count) {
            issues.append(.init(field: "description", message: "The payment description must be 1 to 255 characters"))
        }
        if !Self.isAcceptableReturnURL(returnURL) {
            issues.append(
                .init(
                    field: "return_url", message: "The return address must be https:// (or http:// on localhost), at most 2,000 characters")
            )
        }
        if language != "en" && language != "cy" {
            issues.append(.init(field: "language", message: "The language must be en or cy"))
        }
        return issues
    }

    /// Throws ``PaymentError/invalid(_:)`` listing every problem, before anything is sent.
    public func validate() throws(PaymentError) {
        let issues = issues
        if !issues.isEmpty { throw .invalid(issues) }
    }

    static func isAcceptableReturnURL(_ raw: String) -> Bool {
        guard raw.count <= 2000, let url = URL(string: raw), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { return false }
        switch scheme {
        case "https": return true
        case "http": return host == "localhost" || host == "127.0.0.1"
        default: return false
        }
    }
}

/// A payment's status as GOV.UK Pay reports it in `state.status`.
///
/// `capturable` appears only for delayed capture, which Kerb does not use.
public enum PaymentStatus: String, Sendable, Codable, CaseIterable {
    case created, started, submitted, capturable, success, failed, cancelled, error

    /// Whether the status can no longer change (GOV.UK Pay's `state.finished`).
    public var isFinished: Bool {
        switch self {
        case .created, .started, .submitted, .capturable: false
        case .success, .failed, .cancelled, .error: true
        }
    }
}

/// One GOV.UK Pay payment, as returned by `POST /v1/payments` and `GET /v1/payments/{id}`.
///
/// Its `Codable` form is GOV.UK Pay's own JSON: `payment_id`, `amount`, `state{status, finished,
/// code, message}`, `_links.next_url.href`, `created_date`. Other properties GOV.UK Pay sends are
/// ignored, as its documentation asks. `createdAt` stays the ISO-8601 string GOV.UK Pay sent.
public struct Payment: Sendable, Equatable, Codable {
    /// GOV.UK Pay's `payment_id`.
    public var id: String
    public var amountPence: Int
    public var reference: String
    public var description: String
    public var status: PaymentStatus
    /// GOV.UK Pay's `state.finished`: the status will not change again.
    public var finished: Bool
    /// GOV.UK Pay's `state.code` for a failed, cancelled or errored payment, e.g. `P0010`.
    public var failureCode: String?
    /// GOV.UK Pay's `state.message`, e.g. "Payment method rejected".
    public var failureMessage: String?
    /// Where to send the paying user (`_links.next_url.href`); `nil` once the payment is finished.
    public var nextURL: String?
    /// GOV.UK Pay's `created_date`, an ISO-8601 date-time string.
    public var createdAt: String?

    public init(
        id: String, amountPence: Int, reference: String, description: String, status: PaymentStatus, finished: Bool,
        failureCode: String? = nil, failureMessage: String? = nil, nextURL: String? = nil, createdAt: String? = nil
    ) {
        self.id = id
        self.amountPence = amountPence
        self.reference = reference
        self.description = description
        self.status = status
        self.finished = finished
        self.failureCode = failureCode
        self.failureMessage = failureMessage
        self.nextURL = nextURL
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id = "payment_id"
        case amountPence = "amount"
        case reference, description, state
        case links = "_links"
        case createdAt = "created_date"
    }

    struct State: Codable {
        var status: PaymentStatus
        var finished: Bool
        var code: String?
        var message: String?
    }

    struct Link: Codable {
        var href: String
        var method: String?
    }

    struct Links: Codable {
        var nextURL: Link?
        enum CodingKeys: String, CodingKey { case nextURL = "next_url" }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        amountPence = try container.decode(Int.self, forKey: .amountPence)
        reference = try container.decode(String.self, forKey: .reference)
        description = try container.decode(String.self, forKey: .description)
        let state = try container.decode(State.self, forKey: .state)
        status = state.status
        finished = state.finished
        failureCode = state.code
        failureMessage = state.message
        nextURL = try container.decodeIfPresent(Links.self, forKey: .links)?.nextURL?.href
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(amountPence, forKey: .amountPence)
        try container.encode(reference, forKey: .reference)
        try container.encode(description, forKey: .description)
        try container.encode(State(status: status, finished: finished, code: failureCode, message: failureMessage), forKey: .state)
        try container.encode(Links(nextURL: nextURL.map { Link(href: $0, method: "GET") }), forKey: .links)
        try container.encodeIfPresent(createdAt, forKey: .createdAt)
    }
}

/// What went wrong talking to GOV.UK Pay. `publicDetail` never carries the API key, and GOV.UK Pay's
/// own error text is cut short, because it is shown to staff and written to logs.
public enum PaymentError: KerbError, Equatable {
    /// The request broke GOV.UK Pay's published limits; found before anything was sent.
    case invalid([FieldIssue])
    /// GOV.UK Pay refused the API key (401): the council's key is wrong, revoked or missing.
    case unauthorised
    /// No such payment for this API key's account (404, `P0200`).
    case notFound
    /// GOV.UK Pay refused the request (400/422): its error code and description, e.g. `P0102 …`.
    case rejected(String)
    /// GOV.UK Pay could not be reached in time, or answered with a server error or nonsense.
    case unavailable(String)

    public var kind: KerbErrorKind {
        switch self {
        case .invalid(let issues): .invalid(issues)
        case .unauthorised: .unavailable
        case .notFound: .notFound
        case .rejected: .invalid([])
        case .unavailable: .unavailable
        }
    }

    public var code: String {
        switch self {
        case .invalid: "payments.invalid"
        case .unauthorised: "payments.unauthorised"
        case .notFound: "payments.not-found"
        case .rejected: "payments.rejected"
        case .unavailable: "payments.unavailable"
        }
    }

    public var publicDetail: String {
        switch self {
        case .invalid(let issues): issues.map(\.message).joined(separator: "; ")
        case .unauthorised: "GOV.UK Pay did not accept this council's API key; an administrator must check it"
        case .notFound: "GOV.UK Pay has no such payment for this council"
        case .rejected(let detail): "GOV.UK Pay rejected the payment request: \(detail)"
        case .unavailable(let detail): "GOV.UK Pay is unavailable: \(detail)"
        }
    }
}
