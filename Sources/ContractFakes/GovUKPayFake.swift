import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import Payments

/// A local stand-in for GOV.UK Pay that follows its published API (docs.payments.service.gov.uk):
/// `POST /v1/payments` and `GET /v1/payments/{id}` with Bearer API keys, GOV.UK Pay's error
/// bodies and codes, one account per API key (payments are invisible across accounts), and a
/// tiny payment page at `next_url` where a person can pay, have the card declined, or cancel.
///
/// In memory and thread-safe. Tests start it on port 0 with ``start(host:port:)`` and read the
/// port it bound; the demo starts it beside Kerb and calls ``stop()`` on the way out.
///
/// Differences from the real service, on purpose: the card page is one form, not a card form;
/// payments never expire by themselves (use ``settle(id:status:code:)`` with `P0020`); search,
/// refunds, cancel and capture are not implemented.
public final class GovUKPayFake: Sendable {
    struct StoredPayment {
        var payment: Payment
        var account: String
        var returnURL: String
        var language: String
    }

    struct State {
        var payments: [String: StoredPayment] = [:]
        var requests: [String] = []
    }

    private let apiKeys: [String: String]
    private let configuredBaseURL: String?
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let server = FakeServer()

    /// - Parameters:
    ///   - apiKeys: each API key the fake accepts, mapped to the name of its account. Keys that map
    ///     to the same name share one account.
    ///   - publicBaseURL: the address to put in `next_url`; by default the address it bound. Give it
    ///     when serving ``makeRouter()`` from another application, or behind a proxy.
    ///   - clock: the time for `created_date`.
    ///   - logger: for the fake's server; silent if `nil`.
    public init(
        apiKeys: [String: String], publicBaseURL: String? = nil, clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger? = nil
    ) {
        self.apiKeys = apiKeys
        var base = publicBaseURL
        while base?.hasSuffix("/") == true { base?.removeLast() }
        self.configuredBaseURL = base
        self.clock = clock
        self.logger = logger ?? FakeHTTP.silent
    }

    // MARK: running

    /// Starts serving on `host:port` (0 picks a free port) and returns the port it bound.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        try await server.start(router: makeRouter(), host: host, port: port, logger: logger)
    }

    /// Stops serving and waits for the socket to close; payments are kept. The fake does not watch
    /// for signals, so whoever started it stops it (the demo on its way out).
    public func stop() async {
        await server.stop()
    }

    /// Where clients should send requests, e.g. `http://127.0.0.1:54321`, once started
    /// (or the `publicBaseURL` given to `init`).
    public var baseURL: String? {
        configuredBaseURL ?? server.baseURL
    }

    // MARK: inspection and control, for tests and the demo

    /// Every request received so far, as `METHOD /path` (no query, no headers, no bodies).
    public var requests: [String] {
        state.withLockedValue { $0.requests }
    }

    /// The payment with this id, whatever its account.
    public func payment(id: String) -> Payment? {
        state.withLockedValue { $0.payments[id]?.payment }
    }

    /// Forces a payment's outcome as if the paying user (or GOV.UK Pay) had finished it.
    /// `code` defaults to GOV.UK Pay's usual one for the status: failed P0010, cancelled P0040, error P0050.
    /// Returns `false` if there is no such payment.
    @discardableResult
    public func settle(id: String, status: PaymentStatus, code: String? = nil) -> Bool {
        state.withLockedValue { state in
            guard var stored = state.payments[id] else { return false }
            Self.apply(status, code: code, to: &stored.payment)
            state.payments[id] = stored
            return true
        }
    }

    static let failureMessages = [
        "P0010": "Payment method rejected",
        "P0020": "Payment expired",
        "P0030": "Payment was cancelled by the user",
        "P0040": "Payment was cancelled by the service",
        "P0050": "Payment provider returned an error",
    ]

    static func apply(_ status: PaymentStatus, code: String?, to payment: inout Payment) {
        payment.status = status
        payment.finished = status.isFinished
        let code =
            code
            ?? {
                switch status {
                case .failed: "P0010"
                case .cancelled: "P0040"
                case .error: "P0050"
                default: nil
                }
            }()
        payment.failureCode = code
        payment.failureMessage = code.flatMap { failureMessages[$0] }
        if status.isFinished { payment.nextURL = nil }
    }

    // MARK: routes

    /// The fake's routes, for embedding in another Hummingbird application or `app.test(.router)`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("v1/payments") { request, _ in try await self.create(request) }
        router.get("v1/payments/:id") { request, context in self.fetch(request, id: context.parameters.get("id") ?? "") }
        router.get("pay/:id") { request, context in self.page(request, id: context.parameters.get("id") ?? "") }
        router.post("pay/:id") { request, context in try await self.finish(request, id: context.parameters.get("id") ?? "") }
        return router
    }

    private func record(_ request: Request) {
        let line = "\(request.method) \(request.uri.path)"
        state.withLockedValue { $0.requests.append(line) }
    }

    /// The account behind the request's API key, or `nil` for a missing or unknown key.
    private func account(_ request: Request) -> String? {
        FakeHTTP.bearer(request).flatMap { apiKeys[$0] }
    }

    private static let unauthorised = FakeHTTP.json(
        ["message": "Credentials are required to access this resource"], status: .unauthorized
    )

    private static func problem(_ code: String, _ description: String, field: String? = nil, status: HTTPResponse.Status) -> Response {
        var body = ["code": code, "description": description]
        if let field { body["field"] = field }
        return FakeHTTP.json(body, status: status)
    }

    /// A JSON value read loosely, so a string where a number belongs is a validation error, not a parse error.
    enum Loose: Decodable {
        case int(Int), string(String), other
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) {
                self = .int(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .other
            }
        }
    }

    enum Checked {
        case ok(String)
        case bad(Response)
    }

    struct CreateBody: Decodable {
        var amount: Loose?
        var reference: Loose?
        var description: Loose?
        var return_url: Loose?
        var language: Loose?
    }

    private func create(_ request: Request) async throws -> Response {
        record(request)
        guard let account = account(request) else { return Self.unauthorised }
        let data = try await FakeHTTP.body(request)
        guard let body = try? JSONDecoder().decode(CreateBody.self, from: data) else {
            return Self.problem("P0197", "Unable to parse JSON", status: .badRequest)
        }
        func missing(_ field: String) -> Response {
            Self.problem("P0101", "Missing mandatory attribute: \(field)", field: field, status: .badRequest)
        }
        func invalid(_ field: String, _ rule: String) -> Response {
            Self.problem("P0102", "Invalid attribute value: \(field). \(rule)", field: field, status: .unprocessableContent)
        }
        func text(_ value: Loose?, _ field: String, limit: Int) -> Checked {
            switch value {
            case nil, .string(""): .bad(missing(field))
            case .string(let text) where text.count > limit:
                .bad(invalid(field, "Must be less than or equal to \(limit) characters length"))
            case .string(let text) where field != "return_url" && Self.containsURL(text):
                .bad(invalid(field, "Must not contain URLs"))
            case .string(let text): .ok(text)
            default: .bad(invalid(field, "Must be a valid string format"))
            }
        }

        let amount: Int
        switch body.amount {
        case nil: return missing("amount")
        case .int(let value) where value < 1: return invalid("amount", "Must be greater than or equal to 1")
        case .int(let value) where value > CreatePayment.maximumAmountPence:
            return invalid("amount", "Must be less than or equal to \(CreatePayment.maximumAmountPence)")
        case .int(let value): amount = value
        default: return invalid("amount", "Must be a valid numeric format")
        }
        let reference: String
        switch text(body.reference, "reference", limit: 255) {
        case .ok(let value): reference = value
        case .bad(let response): return response
        }
        let description: String
        switch text(body.description, "description", limit: 255) {
        case .ok(let value): description = value
        case .bad(let response): return response
        }
        let returnURL: String
        switch text(body.return_url, "return_url", limit: 2000) {
        case .ok(let value): returnURL = value
        case .bad(let response): return response
        }
        guard let url = URL(string: returnURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil
        else { return invalid("return_url", "Must be a valid URL format") }
        var language = "en"
        switch body.language {
        case nil: break
        case .string(let value) where value == "en" || value == "cy": language = value
        default: return invalid("language", "Must be \"en\" or \"cy\"")
        }

        let id = Self.newPaymentID()
        let base = baseURL ?? ""
        let payment = Payment(
            id: id, amountPence: amount, reference: reference, description: description, status: .created, finished: false,
            nextURL: "\(base)/pay/\(id)", createdAt: clock().formatted(.iso8601)
        )
        state.withLockedValue { state in
            state.payments[id] = StoredPayment(payment: payment, account: account, returnURL: returnURL, language: language)
        }
        return FakeHTTP.json(
            Self.wire(payment, returnURL: returnURL, language: language, base: base), status: .created,
            headers: [.location: "\(base)/v1/payments/\(id)"]
        )
    }

    private func fetch(_ request: Request, id: String) -> Response {
        record(request)
        guard let account = account(request) else { return Self.unauthorised }
        // Another account's payment is reported exactly like a missing one, as GOV.UK Pay does.
        guard let stored = state.withLockedValue({ $0.payments[id] }), stored.account == account else {
            return Self.problem("P0200", "Not found", status: .notFound)
        }
        return FakeHTTP.json(Self.wire(stored.payment, returnURL: stored.returnURL, language: stored.language, base: baseURL ?? ""))
    }

    /// The payment page at `next_url`. Visiting it moves a `created` payment to `started`.
    private func page(_ request: Request, id: String) -> Response {
        record(request)
        let stored: StoredPayment? = state.withLockedValue { state in
            guard var stored = state.payments[id] else { return nil }
            if stored.payment.status == .created {
                stored.payment.status = .started
                state.payments[id] = stored
            }
            return stored
        }
        guard let stored else { return FakeHTTP.html("<!doctype html><title>Not found</title><p>No such payment.</p>", status: .notFound) }
        let payment = stored.payment
        let pence = payment.amountPence % 100
        let amount = "£\(payment.amountPence / 100).\(pence < 10 ? "0" : "")\(pence)"
        let title = FakeHTTP.escapeHTML(payment.description)
        let body: String
        if payment.finished {
            body = """
                <p>This payment is finished: \(payment.status.rawValue).</p>
                <p><a href="\(FakeHTTP.escapeHTML(stored.returnURL))">Continue</a></p>
                """
        } else {
            body = """
                <p class="amount">\(amount)</p>
                <form method="post" action="/pay/\(id)">
                  <button name="action" value="pay">Pay \(amount)</button>
                  <button name="action" value="decline">Decline card</button>
                  <button name="action" value="cancel">Cancel payment</button>
                </form>
                """
        }
        return FakeHTTP.html(
            """
            <!doctype html>
            <html lang="\(stored.language)">
            <head><meta charset="utf-8"><title>\(title) – GOV.UK Pay (fake)</title></head>
            <body>
            <p><strong>Test payment service</strong> – no money moves.</p>
            <h1>\(title)</h1>
            \(body)
            </body>
            </html>
            """
        )
    }

    struct FinishForm: Decodable { var action: String }

    /// The payment page's buttons: pay → success, decline → failed P0010, cancel → failed P0030;
    /// then back to the service's `return_url` with a 303, as GOV.UK Pay does.
    private func finish(_ request: Request, id: String) async throws -> Response {
        record(request)
        let data = try await FakeHTTP.body(request)
        let action = (try? URLEncodedFormDecoder().decode(FinishForm.self, from: String(decoding: data, as: UTF8.self)))?.action
        let returnURL: String? = state.withLockedValue { state in
            guard var stored = state.payments[id] else { return nil }
            if !stored.payment.finished {
                switch action {
                case "pay": Self.apply(.success, code: nil, to: &stored.payment)
                case "decline": Self.apply(.failed, code: "P0010", to: &stored.payment)
                case "cancel": Self.apply(.failed, code: "P0030", to: &stored.payment)
                default: break
                }
                state.payments[id] = stored
            }
            return stored.returnURL
        }
        guard let returnURL else {
            return FakeHTTP.html("<!doctype html><title>Not found</title><p>No such payment.</p>", status: .notFound)
        }
        guard ["pay", "decline", "cancel"].contains(action ?? "") else {
            return FakeHTTP.html("<!doctype html><title>Bad request</title><p>Choose pay, decline or cancel.</p>", status: .badRequest)
        }
        return Response(status: .seeOther, headers: [.location: returnURL])
    }

    // MARK: GOV.UK Pay's JSON

    struct WireLink: Encodable {
        var href: String
        var method: String
    }

    struct WireState: Encodable {
        var status: String
        var finished: Bool
        var code: String?
        var message: String?
    }

    struct WirePayment: Encodable {
        var payment_id: String
        var amount: Int
        var reference: String
        var description: String
        var return_url: String
        var language: String
        var created_date: String?
        var payment_provider = "sandbox"
        var delayed_capture = false
        var state: WireState
        var _links: [String: WireLink]
    }

    static func wire(_ payment: Payment, returnURL: String, language: String, base: String) -> WirePayment {
        var links = [
            "self": WireLink(href: "\(base)/v1/payments/\(payment.id)", method: "GET"),
            "events": WireLink(href: "\(base)/v1/payments/\(payment.id)/events", method: "GET"),
        ]
        if let next = payment.nextURL { links["next_url"] = WireLink(href: next, method: "GET") }
        return WirePayment(
            payment_id: payment.id, amount: payment.amountPence, reference: payment.reference, description: payment.description,
            return_url: returnURL, language: language, created_date: payment.createdAt,
            state: WireState(
                status: payment.status.rawValue, finished: payment.finished, code: payment.failureCode, message: payment.failureMessage),
            _links: links
        )
    }

    /// GOV.UK Pay refuses references and descriptions that contain URLs.
    static func containsURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
    }

    /// GOV.UK Pay's ids are 26 lower-case letters and digits.
    static func newPaymentID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<26).map { _ in alphabet.randomElement()! })
    }
}
