import Foundation
import KerbCore

/// The three kinds of message GOV.UK Notify sends.
public enum NotifyChannel: String, Sendable, Codable, CaseIterable {
    case email, sms, letter
}

/// Notify's answer to a send: its id for the notification and Kerb's reference echoed back.
public struct SentNotification: Sendable, Decodable, Equatable {
    public let id: UUID
    public let reference: String?
    public let template: TemplateReference

    public struct TemplateReference: Sendable, Decodable, Equatable {
        public let id: UUID
        public let version: Int
    }
}

/// A notification as Notify reports it (`GET /v2/notifications/{id}` and the list).
public struct NotificationState: Sendable, Decodable, Equatable {
    public let id: UUID
    public let reference: String?
    public let type: String
    public let status: String
    public let createdAt: String?
    public let sentAt: String?
    public let completedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, reference, type, status
        case createdAt = "created_at", sentAt = "sent_at", completedAt = "completed_at"
    }

    /// Where Notify's status leaves the message: still on its way, delivered, or failed for good.
    public var outcome: DeliveryOutcome { DeliveryOutcome(notifyStatus: status) }
}

/// Notify's many statuses in the three that matter to a case.
public enum DeliveryOutcome: String, Sendable, Equatable {
    case pending, delivered, failed

    /// Notify's statuses: created, sending, pending, sent (international texts), delivered,
    /// permanent-failure, temporary-failure, technical-failure; for letters accepted, received,
    /// pending-virus-check, virus-scan-failed, validation-failed, cancelled.
    public init(notifyStatus: String) {
        switch notifyStatus {
        case "delivered", "received", "sent": self = .delivered
        case "permanent-failure", "temporary-failure", "technical-failure", "virus-scan-failed", "validation-failed", "cancelled":
            self = .failed
        default: self = .pending
        }
    }
}

/// A template as Notify holds it (`GET /v2/template/{id}`).
public struct NotifyTemplateRecord: Sendable, Decodable, Equatable {
    public let id: UUID
    public let name: String
    public let type: String
    public let version: Int
    public let body: String
    public let subject: String?
}

/// Notify's error body: `{"status_code": 400, "errors": [{"error": "BadRequestError", "message": "…"}]}`.
struct NotifyErrorBody: Codable {
    struct Item: Codable {
        var error: String
        var message: String
    }
    var status_code: Int
    var errors: [Item]

    var summary: String {
        let text = errors.map { "\($0.error): \($0.message)" }.joined(separator: "; ")
        return String((text.isEmpty ? "no reason given" : text).prefix(300))
    }
}

/// Why Notify did not take or answer a request, sorted by what the sender should do next.
public enum NotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400 (BadRequestError, ValidationError): this message will never be accepted as it is.
    case rejected(String)
    /// 403 (AuthError): the key or the token is wrong; no retry helps until someone fixes it.
    case unauthorised(String)
    /// 404: no such notification or template for this service.
    case notFound
    /// 429 (RateLimitError, TooManyRequestsError): try again later.
    case rateLimited(String)
    /// 5xx, no answer, or an answer Kerb could not read: try again later.
    case unavailable(String)
    /// Refused before sending: Kerb's own input is not what Notify accepts.
    case invalid(String)

    /// Whether sending the same message again later can succeed.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .unavailable: true
        case .rejected, .unauthorised, .notFound, .invalid: false
        }
    }

    public var description: String {
        switch self {
        case .rejected(let reason): "GOV.UK Notify refused the message (\(reason))"
        case .unauthorised(let reason): "GOV.UK Notify refused the key (\(reason))"
        case .notFound: "GOV.UK Notify has no such record"
        case .rateLimited(let reason): "GOV.UK Notify asked us to slow down (\(reason))"
        case .unavailable(let reason): "GOV.UK Notify was unavailable (\(reason))"
        case .invalid(let reason): "Not sent: \(reason)"
        }
    }
}

/// A letter's address as Notify takes it: between three and seven lines, the last a UK postcode
/// (Notify's rules for letters sent within the UK). Blank lines are dropped.
public struct PostalAddress: Sendable, Equatable {
    public let lines: [String]

    public init(lines: [String]) throws(NotifyError) {
        let kept = lines.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard kept.count >= 3 else { throw .invalid("the address must be at least 3 lines") }
        guard kept.count <= 7 else { throw .invalid("the address must be no more than 7 lines") }
        guard kept.allSatisfy({ $0.count <= 200 }) else { throw .invalid("an address line is too long") }
        guard let last = kept.last, let postcode = UKFormats.postcode(last) else {
            throw .invalid("the last line of the address must be a real UK postcode")
        }
        self.lines = kept.dropLast() + [postcode]
    }

    /// The personalisation Notify reads the address from: `address_line_1` … `address_line_7`.
    public var personalisation: [String: NotifyValue] {
        var values: [String: NotifyValue] = [:]
        for (index, line) in lines.enumerated() { values["address_line_\(index + 1)"] = .text(line) }
        return values
    }

    /// The address read back from personalisation (the fake's side of the same rule).
    public init(personalisation: [String: NotifyValue]) throws(NotifyError) {
        var lines: [String] = []
        for index in 1...7 {
            if case .text(let line)? = personalisation.first(where: { NotifyTemplate.key($0.key) == "addressline\(index)" })?.value {
                lines.append(line)
            }
        }
        try self.init(lines: lines)
    }
}
