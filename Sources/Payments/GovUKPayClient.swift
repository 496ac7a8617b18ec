import AsyncHTTPClient
import Foundation
import KerbCore
import Logging
import NIOCore
import NIOHTTP1

/// The live client for GOV.UK Pay's public API (docs.payments.service.gov.uk/api_reference).
///
/// Each council has its own GOV.UK Pay account, so the API key is passed per call and never stored
/// here, logged or put into an error. Every call has a deadline (`timeout`); retries belong to the
/// caller (the outbox dispatcher), never to this client.
public struct GovUKPayClient: Sendable {
    /// GOV.UK Pay's production base URL; the API key decides between test and live accounts.
    public static let productionBaseURL = "https://publicapi.payments.service.gov.uk"

    let baseURL: String
    let httpClient: HTTPClient
    let timeout: TimeAmount

    /// - Parameters:
    ///   - baseURL: `GovUKPayClient.productionBaseURL`, or a fake's address in tests and the demo.
    ///   - timeout: the deadline for one whole request, connection included.
    public init(baseURL: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(10)) {
        var baseURL = baseURL
        while baseURL.hasSuffix("/") { baseURL.removeLast() }
        self.baseURL = baseURL
        self.httpClient = httpClient
        self.timeout = timeout
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
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: HTTPResponseStatus
        let bytes: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            status = response.status
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError {
            throw PaymentError.unavailable(Self.describe(error))
        } catch {
            throw PaymentError.unavailable("the connection failed")
        }
        let data = Data(bytes.readableBytesView)
        switch status.code {
        case 200, 201:
            do {
                return try JSONDecoder().decode(Payment.self, from: data)
            } catch {
                logger?.warning("GOV.UK Pay sent a payment we could not read", metadata: ["govukpay.path": "\(method) \(path)"])
                throw PaymentError.unavailable("it sent a response Kerb could not read")
            }
        case 401: throw PaymentError.unauthorised
        case 404: throw PaymentError.notFound
        case 400, 422:
            let problem = try? JSONDecoder().decode(GovUKPayErrorBody.self, from: data)
            throw PaymentError.rejected(problem?.summary ?? "HTTP \(status.code)")
        case 429: throw PaymentError.unavailable("too many requests (P0900)")
        default:
            let problem = try? JSONDecoder().decode(GovUKPayErrorBody.self, from: data)
            throw PaymentError.unavailable(problem?.code.map { "HTTP \(status.code) (\($0))" } ?? "HTTP \(status.code)")
        }
    }

    static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
            "it did not answer in time"
        case .remoteConnectionClosed: "it closed the connection"
        default: "the connection failed"
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
