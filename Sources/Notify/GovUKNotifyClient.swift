import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// The live client for GOV.UK Notify's API (docs.notifications.service.gov.uk): send an email, a
/// text message or a letter, read a notification back (by id, or by Kerb's reference), read a template.
///
/// Each council has its own Notify service, so the key is passed per call and never stored here,
/// logged or put into an error; each request carries a fresh token signed with it. Every call has
/// a deadline; retries belong to the caller (the outbox dispatcher), which reads
/// ``NotifyError/isRetryable``.
public struct GovUKNotifyClient: Sendable {
    public static let productionBaseURL = "https://api.notifications.service.gov.uk"

    let transport: BearerJSONTransport
    let clock: @Sendable () -> Date

    public init(
        baseURL: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(10),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        transport = BearerJSONTransport(baseURL: baseURL, httpClient: httpClient, timeout: timeout, maxResponseBytes: 2 << 20)
        self.clock = clock
    }

    /// One message to send: the channel's recipient, the template and its personalisation, and
    /// Kerb's reference (the outbox row's id), which Notify keeps and lets us search by.
    public struct Message: Sendable {
        public enum Recipient: Sendable, Equatable {
            case email(String)
            case phone(String)
            case address(PostalAddress)
        }
        public var recipient: Recipient
        public var templateID: UUID
        public var personalisation: [String: NotifyValue]
        public var reference: String

        public init(recipient: Recipient, templateID: UUID, personalisation: [String: NotifyValue], reference: String) {
            self.recipient = recipient
            self.templateID = templateID
            self.personalisation = personalisation
            self.reference = reference
        }

        public var channel: NotifyChannel {
            switch recipient {
            case .email: .email
            case .phone: .sms
            case .address: .letter
            }
        }
    }

    /// Sends one message (`POST /v2/notifications/{email|sms|letter}`).
    public func send(_ message: Message, key: NotifyAPIKey, logger: Logger? = nil) async throws(NotifyError) -> SentNotification {
        var body: [String: NotifyValue] = [:]
        var personalisation = message.personalisation
        switch message.recipient {
        case .email(let address): body["email_address"] = .text(address)
        case .phone(let number): body["phone_number"] = .text(number)
        case .address(let address): personalisation.merge(address.personalisation) { $1 }
        }
        guard (1...255).contains(message.reference.count) else { throw .invalid("the reference must be 1 to 255 characters") }
        let request = SendBody(fields: body, templateID: message.templateID, personalisation: personalisation, reference: message.reference)
        let data: Data
        do { data = try JSONEncoder().encode(request) } catch { throw .invalid("the personalisation could not be written as JSON") }
        return try await call(.POST, "/v2/notifications/\(message.channel.rawValue)", key: key, body: data, logger: logger)
    }

    /// One notification by Notify's id (`GET /v2/notifications/{id}`).
    public func notification(_ id: UUID, key: NotifyAPIKey, logger: Logger? = nil) async throws(NotifyError) -> NotificationState {
        try await call(.GET, "/v2/notifications/\(id.uuidString.lowercased())", key: key, body: nil, logger: logger)
    }

    /// The notifications sent with Kerb's `reference` (`GET /v2/notifications?reference=`): how the
    /// dispatcher learns whether a send it cannot account for (a crash mid-send) reached Notify.
    public func notifications(reference: String, key: NotifyAPIKey, logger: Logger? = nil) async throws(NotifyError) -> [NotificationState]
    {
        let page: NotificationList = try await call(
            .GET, "/v2/notifications", query: [("reference", reference)], key: key, body: nil, logger: logger)
        return page.notifications
    }

    /// A template as the council's Notify service holds it (`GET /v2/template/{id}`).
    public func template(_ id: UUID, key: NotifyAPIKey, logger: Logger? = nil) async throws(NotifyError) -> NotifyTemplateRecord {
        try await call(.GET, "/v2/template/\(id.uuidString.lowercased())", key: key, body: nil, logger: logger)
    }

    private func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], key: NotifyAPIKey, body: Data?, logger: Logger?
    ) async throws(NotifyError) -> Answer {
        let reply: BearerJSONTransport.Reply
        do {
            let token = try await key.token(now: clock())
            reply = try await transport.send(method, path, query: query, credential: token, body: body, logger: logger)
        } catch let failure as TransportFailure {
            throw .unavailable(failure.description)
        } catch is CancellationError {
            throw .unavailable("cancelled")
        } catch {
            throw .unavailable("the request could not be made")
        }
        let problem = { (try? JSONDecoder().decode(NotifyErrorBody.self, from: reply.body))?.summary ?? "HTTP \(reply.status)" }
        switch reply.status {
        case 200, 201:
            do {
                return try JSONDecoder().decode(Answer.self, from: reply.body)
            } catch {
                logger?.warning("GOV.UK Notify sent an answer we could not read", metadata: ["notify.path": "\(method) \(path)"])
                throw .unavailable("it sent an answer Kerb could not read")
            }
        case 400: throw .rejected(problem())
        case 401, 403: throw .unauthorised(problem())
        case 404: throw .notFound
        case 429: throw .rateLimited(problem())
        default: throw .unavailable(problem())
        }
    }
}

/// The body of a send, in Notify's names.
struct SendBody: Encodable {
    var fields: [String: NotifyValue]
    var templateID: UUID
    var personalisation: [String: NotifyValue]
    var reference: String

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in fields { try container.encode(value, forKey: Key(stringValue: name)) }
        try container.encode(templateID.uuidString.lowercased(), forKey: Key(stringValue: "template_id"))
        try container.encode(personalisation, forKey: Key(stringValue: "personalisation"))
        try container.encode(reference, forKey: Key(stringValue: "reference"))
    }
}

struct NotificationList: Decodable {
    var notifications: [NotificationState]
}
