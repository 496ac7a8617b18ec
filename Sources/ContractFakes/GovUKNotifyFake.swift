import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import Notify

/// A local stand-in for GOV.UK Notify that follows its API (docs.notifications.service.gov.uk)
/// as Notify's own Python client (`notifications-python-client`) calls it: sending email, text
/// messages and letters, reading notifications by id or reference, reading templates and
/// previews. It checks each request's token as Notify does (HS256 with the service's secret,
/// `iss` the service id, `iat` within 30 seconds), validates recipients and personalisation
/// against the template, enforces the rate limit (3,000 requests a minute per service) and a
/// daily message limit, and moves notifications through Notify's statuses as time passes.
///
/// Tests make failures happen: ``failNext(_:status:)`` answers the next sends with 429 or 5xx,
/// and Notify's simulated recipients (`temp-fail@simulator.notify`, `perm-fail@simulator.notify`,
/// 07700900003, 07700900002) end in temporary or permanent failure.
///
/// In memory and thread-safe. Differences from the real service, on purpose: one key type (no
/// team or test keys), no precompiled letters, received texts or callbacks.
public final class GovUKNotifyFake: Sendable {
    public struct Template: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var type: NotifyChannel
        public var version: Int
        public var subject: String
        public var body: String
    }

    public struct Notification: Sendable, Equatable {
        public var id: UUID
        public var service: String
        public var type: NotifyChannel
        public var template: Template
        public var recipient: String
        public var reference: String?
        public var subject: String
        public var body: String
        public var createdAt: Date
        public var forcedStatus: String?
    }

    struct Service {
        var name: String
        var secrets: [String]
        var templates: [UUID: [Template]] = [:]
        var recentSends: [Date] = []
        var sentToday: [String: Int] = [:]
    }

    struct State {
        var services: [String: Service] = [:]
        var notifications: [UUID: Notification] = [:]
        var order: [UUID] = []
        var failures: [(status: Int, count: Int)] = []
        var requests: [String] = []
    }

    /// Sends a service may make in a minute, and messages in a day, as Notify's defaults.
    public let ratePerMinute: Int
    public let dailyLimit: Int
    /// How long a notification stays `created`, then `sending`, before its final status.
    public let statusStep: TimeInterval
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let server = FakeServer()

    public init(
        ratePerMinute: Int = 3_000, dailyLimit: Int = 250_000, statusStep: TimeInterval = 1,
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger? = nil
    ) {
        self.ratePerMinute = ratePerMinute
        self.dailyLimit = dailyLimit
        self.statusStep = statusStep
        self.clock = clock
        self.logger = logger ?? FakeHTTP.silent
    }

    // MARK: running

    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        try await server.start(router: makeRouter(), host: host, port: port, logger: logger)
    }

    public func stop() async { await server.stop() }

    public var baseURL: String? { server.baseURL }

    // MARK: set-up and inspection, for tests and the demo

    /// Adds a service and returns an API key for it in Notify's format.
    public func addService(name: String, key: NotifyAPIKey? = nil) -> NotifyAPIKey {
        let key = key ?? NotifyAPIKey.make(name: "kerb")
        state.withLockedValue { state in
            state.services[key.serviceID, default: Service(name: name, secrets: [])].secrets.append(key.secretForVerification)
        }
        return key
    }

    /// Adds a template to a service (a new version if `id` already names one) and returns its id.
    @discardableResult
    public func addTemplate(service: String, id: UUID = UUID(), name: String, type: NotifyChannel, subject: String = "", body: String)
        -> UUID
    {
        state.withLockedValue { state in
            let versions = state.services[service]?.templates[id] ?? []
            let template = Template(id: id, name: name, type: type, version: versions.count + 1, subject: subject, body: body)
            state.services[service]?.templates[id] = versions + [template]
        }
        return id
    }

    /// Answers the next `count` sends with `status` (429 or a 5xx), as Notify under load would.
    public func failNext(_ count: Int, status: Int) {
        state.withLockedValue { $0.failures.append((status, count)) }
    }

    /// Every notification accepted, oldest first.
    public var notifications: [Notification] {
        state.withLockedValue { state in state.order.compactMap { state.notifications[$0] } }
    }

    /// Every request received so far, as `METHOD /path`.
    public var requests: [String] { state.withLockedValue { $0.requests } }

    /// Sets a notification's status as Notify would report it from now on.
    public func force(_ id: UUID, status: String) {
        state.withLockedValue { $0.notifications[id]?.forcedStatus = status }
    }

    // MARK: routes

    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        for channel in NotifyChannel.allCases {
            router.post("v2/notifications/\(channel.rawValue)") { request, _ in try await self.send(request, channel) }
        }
        router.get("v2/notifications/:id") { request, context in
            try await self.authorised(request) { service in self.notification(service, context.parameters.get("id")) }
        }
        router.get("v2/notifications") { request, _ in
            try await self.authorised(request) { service in self.list(service, request.uri.queryParameters) }
        }
        router.get("v2/template/:id") { request, context in
            try await self.authorised(request) { service in self.template(service, context.parameters.get("id"), version: nil) }
        }
        router.get("v2/template/:id/version/:version") { request, context in
            try await self.authorised(request) { service in
                self.template(service, context.parameters.get("id"), version: context.parameters.get("version").flatMap { Int($0) } ?? -1)
            }
        }
        router.get("v2/templates") { request, _ in
            try await self.authorised(request) { service in
                self.templates(service, type: request.uri.queryParameters["type"].map(String.init))
            }
        }
        router.post("v2/template/:id/preview") { request, context in
            let body = try await FakeHTTP.body(request)
            return try await self.authorised(request) { service in self.preview(service, context.parameters.get("id"), body) }
        }
        return router
    }

    /// Notify's error body.
    static func error(_ status: Int, _ kind: String, _ message: String) -> Response {
        struct Item: Encodable { var error: String; var message: String }
        struct Body: Encodable { var status_code: Int; var errors: [Item] }
        return FakeHTTP.json(
            Body(status_code: status, errors: [Item(error: kind, message: message)]), status: HTTPResponse.Status(code: status))
    }

    /// Checks the token and runs `work` for the service it names, or answers Notify's 403.
    private func authorised(_ request: Request, _ work: (String) -> Response) async throws -> Response {
        state.withLockedValue { $0.requests.append("\(request.method) \(request.uri.path)") }
        guard let token = FakeHTTP.bearer(request) else {
            return Self.error(401, "AuthError", NotifyTokenCheck.Failure.missing.description)
        }
        guard let issuer = await NotifyTokenCheck.issuer(of: token) else {
            return Self.error(403, "AuthError", NotifyTokenCheck.Failure.malformed.description)
        }
        guard let secrets = state.withLockedValue({ $0.services[issuer]?.secrets }) else {
            return Self.error(403, "AuthError", NotifyTokenCheck.Failure.unknownService.description)
        }
        do {
            _ = try await NotifyTokenCheck.verify(token, secrets: secrets, now: clock())
        } catch {
            return Self.error(403, "AuthError", String(describing: error))
        }
        return work(issuer)
    }

    // MARK: sending

    private func send(_ request: Request, _ channel: NotifyChannel) async throws -> Response {
        let data = try await FakeHTTP.body(request)
        return try await authorised(request) { service in self.accept(service, channel, data) }
    }

    struct SendRequest: Decodable {
        var template_id: String?
        var personalisation: [String: NotifyValue]?
        var reference: String?
        var email_address: String?
        var phone_number: String?
    }

    private func accept(_ service: String, _ channel: NotifyChannel, _ data: Data) -> Response {
        let now = clock()
        if let injected = state.withLockedValue({ state -> Int? in
            guard let first = state.failures.first else { return nil }
            state.failures[0].count -= 1
            if state.failures[0].count <= 0 { state.failures.removeFirst() }
            return first.status
        }) {
            return injected == 429
                ? Self.error(429, "RateLimitError", "Exceeded rate limit for key type LIVE of \(ratePerMinute) requests per 60 seconds")
                : Self.error(injected, "Exception", "Internal server error")
        }
        guard let body = try? JSONDecoder().decode(SendRequest.self, from: data) else {
            return Self.error(400, "ValidationError", "personalisation should be type object")
        }
        guard let templateText = body.template_id, let templateID = UUID(uuidString: templateText) else {
            return Self.error(400, "ValidationError", "template_id is not a valid UUID")
        }
        if let reference = body.reference, reference.count > 1000 {
            return Self.error(400, "ValidationError", "reference is too long")
        }
        return state.withLockedValue { state -> Response in
            guard var account = state.services[service] else { return Self.error(403, "AuthError", "Invalid token: service not found") }
            guard let template = account.templates[templateID]?.last else {
                return Self.error(400, "BadRequestError", "Template not found")
            }
            guard template.type == channel else {
                return Self.error(
                    400, "BadRequestError", "\(template.type.rawValue) template is not suitable for \(channel.rawValue) notification")
            }
            let personalisation = body.personalisation ?? [:]
            let recipient: String
            switch channel {
            case .email:
                guard let address = body.email_address, Self.isEmailAddress(address) else {
                    return Self.error(400, "ValidationError", "email_address Not a valid email address")
                }
                recipient = address
            case .sms:
                guard let number = body.phone_number, let mobile = Self.ukMobile(number) else {
                    return Self.error(400, "ValidationError", "phone_number Not a UK mobile number")
                }
                recipient = mobile
            case .letter:
                do {
                    recipient = try PostalAddress(personalisation: personalisation).lines.joined(separator: "\n")
                } catch {
                    return Self.error(400, "ValidationError", "Must be a real UK postcode or another country (\(error))")
                }
            }
            let rendered: (subject: String, body: String)
            do {
                rendered = try NotifyTemplate(body: template.body, subject: template.subject).render(
                    personalisation, bullets: channel != .sms)
            } catch {
                return Self.error(400, "BadRequestError", String(describing: error))
            }
            if channel == .sms, rendered.body.count > 918 {
                return Self.error(
                    400, "BadRequestError",
                    "Text messages cannot be longer than 918 characters. Your message is \(rendered.body.count) characters")
            }
            account.recentSends.removeAll { now.timeIntervalSince($0) >= 60 }
            guard account.recentSends.count < ratePerMinute else {
                state.services[service] = account
                return Self.error(
                    429, "RateLimitError", "Exceeded rate limit for key type LIVE of \(ratePerMinute) requests per 60 seconds")
            }
            let day = Self.day(now)
            guard account.sentToday[day, default: 0] < dailyLimit else {
                state.services[service] = account
                return Self.error(429, "TooManyRequestsError", "Exceeded send limits (\(dailyLimit)) for today")
            }
            account.recentSends.append(now)
            account.sentToday = [day: account.sentToday[day, default: 0] + 1]
            state.services[service] = account
            let notification = Notification(
                id: UUID(), service: service, type: channel, template: template, recipient: recipient, reference: body.reference,
                subject: rendered.subject, body: rendered.body, createdAt: now)
            state.notifications[notification.id] = notification
            state.order.append(notification.id)
            return FakeHTTP.json(sent(notification), status: .created)
        }
    }

    private func sent(_ notification: Notification) -> [String: AnyEncodable] {
        var content: [String: AnyEncodable] = ["body": AnyEncodable(notification.body)]
        switch notification.type {
        case .email:
            content["subject"] = AnyEncodable(notification.subject)
            content["from_email"] = AnyEncodable("blue.badge@notifications.service.gov.uk")
        case .sms: content["from_number"] = AnyEncodable("GOVUK")
        case .letter: content["subject"] = AnyEncodable(notification.subject)
        }
        var answer: [String: AnyEncodable] = [
            "id": AnyEncodable(notification.id.uuidString.lowercased()), "reference": AnyEncodable(notification.reference),
            "content": AnyEncodable(content), "uri": AnyEncodable(uri("/v2/notifications/\(notification.id.uuidString.lowercased())")),
            "template": AnyEncodable(templateReference(notification.template)),
        ]
        if notification.type == .letter { answer["scheduled_for"] = AnyEncodable(String?.none) }
        return answer
    }

    // MARK: reading

    /// The status Notify would report now: `created`, then `sending`, then the final one.
    func status(of notification: Notification, now: Date) -> String {
        if let forced = notification.forcedStatus { return forced }
        let elapsed = now.timeIntervalSince(notification.createdAt)
        if notification.type == .letter { return elapsed < statusStep ? "accepted" : "received" }
        if elapsed < statusStep { return "created" }
        if elapsed < 2 * statusStep { return "sending" }
        switch notification.recipient {
        case "temp-fail@simulator.notify", "07700900003": return "temporary-failure"
        case "perm-fail@simulator.notify", "07700900002": return "permanent-failure"
        default: return "delivered"
        }
    }

    private func wire(_ notification: Notification, now: Date) -> [String: AnyEncodable] {
        let status = status(of: notification, now: now)
        let finished = ["delivered", "received", "permanent-failure", "temporary-failure", "technical-failure"].contains(status)
        var answer: [String: AnyEncodable] = [
            "id": AnyEncodable(notification.id.uuidString.lowercased()), "reference": AnyEncodable(notification.reference),
            "type": AnyEncodable(notification.type.rawValue), "status": AnyEncodable(status),
            "template": AnyEncodable(templateReference(notification.template)), "body": AnyEncodable(notification.body),
            "subject": AnyEncodable(notification.type == .sms ? nil : notification.subject),
            "created_at": AnyEncodable(Self.timestamp(notification.createdAt)), "created_by_name": AnyEncodable(String?.none),
            "sent_at": AnyEncodable(status == "created" ? nil : Self.timestamp(notification.createdAt.addingTimeInterval(statusStep))),
            "completed_at": AnyEncodable(finished ? Self.timestamp(notification.createdAt.addingTimeInterval(2 * statusStep)) : nil),
            "scheduled_for": AnyEncodable(String?.none),
            "email_address": AnyEncodable(notification.type == .email ? notification.recipient : nil),
            "phone_number": AnyEncodable(notification.type == .sms ? notification.recipient : nil),
        ]
        let lines = notification.type == .letter ? notification.recipient.split(separator: "\n").map(String.init) : []
        for index in 1...7 { answer["line_\(index)"] = AnyEncodable(index <= lines.count ? lines[index - 1] : nil) }
        answer["postcode"] = AnyEncodable(lines.last)
        if notification.type == .letter { answer["postage"] = AnyEncodable("second") }
        return answer
    }

    private func notification(_ service: String, _ id: String?) -> Response {
        let now = clock()
        guard let id = id.flatMap(UUID.init(uuidString:)) else {
            return Self.error(400, "ValidationError", "notification_id is not a valid UUID")
        }
        guard let found = state.withLockedValue({ $0.notifications[id] }), found.service == service else {
            return Self.error(404, "NoResultFound", "No result found")
        }
        return FakeHTTP.json(wire(found, now: now))
    }

    private func list(_ service: String, _ query: Parameters) -> Response {
        let now = clock()
        let reference = query["reference"].map(String.init)
        let type = query["template_type"].map(String.init)
        let status = query["status"].map(String.init)
        let olderThan = query["older_than"].flatMap { UUID(uuidString: String($0)) }
        let found = state.withLockedValue { state -> [Notification] in
            var ids = Array(state.order.reversed())
            if let olderThan, let position = ids.firstIndex(of: olderThan) { ids = Array(ids[(position + 1)...]) }
            return ids.compactMap { state.notifications[$0] }.filter { $0.service == service }
        }
        let chosen = found.filter { notification in
            (reference == nil || notification.reference == reference) && (type == nil || notification.type.rawValue == type)
                && (status == nil || self.status(of: notification, now: now) == status)
        }.prefix(250)
        var links: [String: AnyEncodable] = ["current": AnyEncodable(uri("/v2/notifications"))]
        if chosen.count == 250, let last = chosen.last {
            links["next"] = AnyEncodable(uri("/v2/notifications?older_than=\(last.id.uuidString.lowercased())"))
        }
        return FakeHTTP.json([
            "notifications": AnyEncodable(chosen.map { wire($0, now: now) }), "links": AnyEncodable(links),
        ])
    }

    private func findTemplate(_ service: String, _ id: String?, version: Int?) -> Template? {
        guard let id = id.flatMap(UUID.init(uuidString:)) else { return nil }
        let versions = state.withLockedValue { $0.services[service]?.templates[id] } ?? []
        guard let version else { return versions.last }
        return versions.first { $0.version == version }
    }

    private func template(_ service: String, _ id: String?, version: Int?) -> Response {
        guard let template = findTemplate(service, id, version: version) else {
            return Self.error(404, "NoResultFound", "No result found")
        }
        return FakeHTTP.json(wireTemplate(template))
    }

    private func templates(_ service: String, type: String?) -> Response {
        let all = state.withLockedValue { state in (state.services[service]?.templates.values.compactMap(\.last) ?? []) }
        let chosen = all.filter { type == nil || $0.type.rawValue == type }.sorted { $0.name < $1.name }
        return FakeHTTP.json(["templates": chosen.map(wireTemplate)])
    }

    private func preview(_ service: String, _ id: String?, _ data: Data) -> Response {
        struct Preview: Decodable { var personalisation: [String: NotifyValue]? }
        guard let template = findTemplate(service, id, version: nil) else {
            return Self.error(404, "NoResultFound", "No result found")
        }
        guard let request = try? JSONDecoder().decode(Preview.self, from: data) else {
            return Self.error(400, "ValidationError", "personalisation should be type object")
        }
        do {
            let rendered = try NotifyTemplate(body: template.body, subject: template.subject).render(
                request.personalisation ?? [:], bullets: template.type != .sms)
            return FakeHTTP.json([
                "id": AnyEncodable(template.id.uuidString.lowercased()), "type": AnyEncodable(template.type.rawValue),
                "version": AnyEncodable(template.version), "body": AnyEncodable(rendered.body),
                "subject": AnyEncodable(template.type == .sms ? nil : rendered.subject), "html": AnyEncodable(String?.none),
                "postage": AnyEncodable(template.type == .letter ? "second" : nil),
            ])
        } catch {
            return Self.error(400, "BadRequestError", String(describing: error))
        }
    }

    private func wireTemplate(_ template: Template) -> [String: AnyEncodable] {
        [
            "id": AnyEncodable(template.id.uuidString.lowercased()), "name": AnyEncodable(template.name),
            "type": AnyEncodable(template.type.rawValue),
            "created_at": AnyEncodable(Self.timestamp(Date(timeIntervalSince1970: 1_767_225_600))),
            "updated_at": AnyEncodable(String?.none), "created_by": AnyEncodable("kerb@example.gov.uk"),
            "version": AnyEncodable(template.version), "body": AnyEncodable(template.body),
            "subject": AnyEncodable(template.type == .sms ? nil : template.subject),
            "letter_contact_block": AnyEncodable(template.type == .letter ? "Blue Badge team" : nil),
            "postage": AnyEncodable(template.type == .letter ? "second" : nil),
        ]
    }

    private func templateReference(_ template: Template) -> [String: AnyEncodable] {
        [
            "id": AnyEncodable(template.id.uuidString.lowercased()), "version": AnyEncodable(template.version),
            "uri": AnyEncodable(uri("/v2/template/\(template.id.uuidString.lowercased())/version/\(template.version)")),
        ]
    }

    private func uri(_ path: String) -> String { (baseURL ?? "http://127.0.0.1") + path }

    // MARK: formats

    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.count <= 320 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && !text.contains(where: \.isWhitespace)
    }

    /// A UK mobile number in the national format Notify keeps (07…), or nil.
    static func ukMobile(_ text: String) -> String? {
        var digits = text.filter { !" -()".contains($0) }
        if digits.hasPrefix("+") { digits.removeFirst() }
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        if digits.hasPrefix("44") { digits = "0" + digits.dropFirst(2) }
        guard digits.count == 11, digits.hasPrefix("07") else { return nil }
        return digits
    }

    static func day(_ date: Date) -> String { String(Int(date.timeIntervalSince1970 / 86_400)) }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// Lets the fake answer JSON objects of mixed values, as Notify's answers are.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void

    init<Value: Encodable>(_ value: Value) {
        encodeValue = { encoder in
            var container = encoder.singleValueContainer()
            try container.encode(value)
        }
    }

    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
