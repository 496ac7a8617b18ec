import AsyncHTTPClient
import Foundation
import KerbCore
import Logging
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// The live client for GOV.UK Pay's public API (docs.payments.service.gov.uk/api_reference).
///
/// Each council has its own GOV.UK Pay account, so the API key is passed per call and never stored
/// here, logged or put into an error. Every call has a deadline (`timeout`); retries belong to the
/// caller (the outbox dispatcher), never to this client.
public struct GovUKPayClient: Sendable {
    /// GOV.UK Pay's production base URL; the API key decides between test and live accounts.
    public static let productionBaseURL = "https://publicapi.payments.service.gov.uk"

    let transport: BearerJSONTransport

    /// - Parameters:
    ///   - baseURL: `GovUKPayClient.productionBaseURL`, or a fake's address in tests and the demo.
    ///   - timeout: the deadline for one whole request, connection included.
    public init(baseURL: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
        transport = BearerJSONTransport(baseURL: baseURL, httpClient: httpClient, timeout: timeout, maxResponseBytes: 1 << 20)
    }

    /// Creates a payment (`POST /v1/payments`) and returns it in status `created`, with the
    /// `nextURL` to send the paying user to. The request is validated first (``CreatePayment/issues``),
    /// so a bad amount never reaches GOV.UK Pay.
    public func createPayment(apiKey: String, _ request: CreatePayment, logger: Logger? = nil) async throws -> Payment {
        try request.validate()
        let body = CreatePaymentBody(
            amount: request.amountPence, reference: request.reference, description: request.description,
            returnURL: request.returnURL, language: request.language
        )
        return try await send(.POST, "/v1/payments", apiKey: apiKey, body: try JSONEncoder().encode(body), logger: logger)
    }

    /// Fetches one payment (`GET /v1/payments/{payment_id}`) of the account the API key belongs to.
    /// Another account's payment is ``PaymentError/notFound``, as GOV.UK Pay reports it.
    public func payment(apiKey: String, id: String, logger: Logger? = nil) async throws -> Payment {
        guard Self.isPlausiblePaymentID(id) else {
            throw PaymentError.invalid([FieldIssue(field: "payment_id", message: "A GOV.UK Pay payment id is letters and digits")])
        }
        return try await send(.GET, "/v1/payments/\(id)", apiKey: apiKey, body: nil, logger: logger)
    }

    /// GOV.UK Pay's ids are 26 lower-case letters and digits; accept any short alphanumeric id so
    /// nothing else can be spliced into the path.
    static func isPlausiblePaymentID(_ id: String) -> Bool {
        (1...64).contains(id.count)
            && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    private func send(_ method: HTTPMethod, _ path: String, apiKey: String, body: Data?, logger: Logger?) async throws -> Payment {
        guard !apiKey.isEmpty else { throw PaymentError.unauthorised }
        let reply: BearerJSONTransport.Reply
        do {
            reply = try await transport.send(method, path, credential: apiKey, body: body, logger: logger)
        } catch let failure as TransportFailure {
            throw PaymentError.unavailable(failure.description)
        }
        switch reply.status {
        case 200, 201:
            do {
                return try JSONDecoder().decode(Payment.self, from: reply.body)
            } catch {
                logger?.warning("GOV.UK Pay sent a payment we could not read", metadata: ["govukpay.path": "\(method) \(path)"])
                throw PaymentError.unavailable("it sent a response Kerb could not read")
            }
        case 401: throw PaymentError.unauthorised
        case 404: throw PaymentError.notFound
        case 400, 422:
            let problem = try? JSONDecoder().decode(GovUKPayErrorBody.self, from: reply.body)
            throw PaymentError.rejected(problem?.summary ?? "HTTP \(reply.status)")
        case 429: throw PaymentError.unavailable("too many requests (P0900)")
        default:
            let problem = try? JSONDecoder().decode(GovUKPayErrorBody.self, from: reply.body)
            throw PaymentError.unavailable(problem?.code.map { "HTTP \(reply.status) (\($0))" } ?? "HTTP \(reply.status)")
        }
    }
}

/// GOV.UK Pay's create-payment body, in its snake_case names.
struct CreatePaymentBody: Encodable {
    var amount: Int
    var reference: String
    var description: String
    var returnURL: String
    var language: String
    enum CodingKeys: String, CodingKey {
        case amount, reference, description, language
        case returnURL = "return_url"
    }
}

/// GOV.UK Pay's error body: `{code, field?, description}`.
struct GovUKPayErrorBody: Decodable {
    var code: String?
    var field: String?
    var description: String?

    /// Code, field and description, cut to 300 characters: GOV.UK Pay's descriptions name the
    /// attribute and the rule, never the value, but a cap keeps a surprise out of logs and pages.
    var summary: String {
        let text = [code, field.map { "(\($0))" }, description].compactMap { $0 }.joined(separator: " ")
        return text.isEmpty ? "no reason given" : String(text.prefix(300))
    }
}
