import AsyncHTTPClient
import ContractFakes
import Foundation
import KerbCore
import NIOCore
import Payments
import Testing

/// The GOV.UK Pay client against the contract fake, over real HTTP on 127.0.0.1.
@Suite struct GovUKPayTests {
    static let westminsterKey = "api_test_westminster_0123456789"
    static let cardiffKey = "api_test_cardiff_0123456789"

    /// A started fake with two accounts, a client pointed at it, and a raw HTTP client that does
    /// not follow redirects (to play the paying user's browser).
    static func withFake(_ body: (GovUKPayFake, GovUKPayClient, HTTPClient) async throws -> Void) async throws {
        let fake = GovUKPayFake(apiKeys: [westminsterKey: "westminster", cardiffKey: "cardiff"])
        let port = try await fake.start()
        let browser = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let result: Result<Void, any Error>
        do {
            try await body(fake, GovUKPayClient(baseURL: "http://127.0.0.1:\(port)/"), browser)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        try await browser.shutdown()
        await fake.stop()
        try result.get()
    }

    static func request(amount: Int = 1000, reference: String = "KERB-0001", description: String = "Blue Badge fee") -> CreatePayment {
        CreatePayment(
            amountPence: amount, reference: reference, description: description, returnURL: "https://kerb.example/payments/return/1")
    }

    static func submit(_ browser: HTTPClient, to url: String, action: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "action=\(action)"))
        return try await browser.execute(request, timeout: .seconds(5))
    }

    static func raw(_ browser: HTTPClient, _ base: String, json: String, key: String = westminsterKey) async throws -> (
        UInt, [String: String]
    ) {
        var request = HTTPClientRequest(url: base + "/v1/payments")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await browser.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        let fields = (try? JSONDecoder().decode([String: String].self, from: Data(body.readableBytesView))) ?? [:]
        return (response.status.code, fields)
    }

    @Test func createdPaymentIsPaidThroughNextURL() async throws {
        try await Self.withFake { fake, pay, browser in
            let created = try await pay.createPayment(apiKey: Self.westminsterKey, Self.request(amount: 1050))
            #expect(created.status == .created)
            #expect(!created.finished)
            #expect(created.amountPence == 1050)
            #expect(created.reference == "KERB-0001")
            #expect(created.createdAt != nil)
            let next = try #require(created.nextURL)
            #expect(next == "\(fake.baseURL!)/pay/\(created.id)")

            let page = try await browser.execute(HTTPClientRequest(url: next), timeout: .seconds(5))
            #expect(page.status == .ok)
            let html = String(buffer: try await page.body.collect(upTo: 1 << 16))
            #expect(html.contains("Pay £10.50"))
            #expect(html.contains("Cancel payment"))
            #expect(try await pay.payment(apiKey: Self.westminsterKey, id: created.id).status == .started)

            let paid = try await Self.submit(browser, to: next, action: "pay")
            #expect(paid.status == .seeOther)
            #expect(paid.headers.first(name: "Location") == "https://kerb.example/payments/return/1")

            let settled = try await pay.payment(apiKey: Self.westminsterKey, id: created.id)
            #expect(settled.status == .success)
            #expect(settled.finished)
            #expect(settled.failureCode == nil)
            #expect(settled.nextURL == nil)

            // A finished payment cannot be paid again or turned into a failure.
            _ = try await Self.submit(browser, to: next, action: "decline")
            #expect(try await pay.payment(apiKey: Self.westminsterKey, id: created.id).status == .success)
        }
    }

    @Test func declinedCardFailsWithP0010AndCancelWithP0030() async throws {
        try await Self.withFake { _, pay, browser in
            let declined = try await pay.createPayment(apiKey: Self.westminsterKey, Self.request())
            _ = try await Self.submit(browser, to: try #require(declined.nextURL), action: "decline")
            let failed = try await pay.payment(apiKey: Self.westminsterKey, id: declined.id)
            #expect(failed.status == .failed)
            #expect(failed.finished)
            #expect(failed.failureCode == "P0010")
            #expect(failed.failureMessage == "Payment method rejected")

            let cancelled = try await pay.createPayment(apiKey: Self.westminsterKey, Self.request())
            let back = try await Self.submit(browser, to: try #require(cancelled.nextURL), action: "cancel")
            #expect(back.status == .seeOther)
            let byUser = try await pay.payment(apiKey: Self.westminsterKey, id: cancelled.id)
            #expect(byUser.status == .failed)
            #expect(byUser.failureCode == "P0030")
        }
    }

    @Test func settleForcesAnOutcomeForTests() async throws {
        try await Self.withFake { fake, pay, _ in
            let created = try await pay.createPayment(apiKey: Self.westminsterKey, Self.request())
            #expect(fake.settle(id: created.id, status: .cancelled))
            let payment = try await pay.payment(apiKey: Self.westminsterKey, id: created.id)
            #expect(payment.status == .cancelled && payment.finished && payment.failureCode == "P0040")
            #expect(fake.settle(id: created.id, status: .failed, code: "P0020"))
            #expect(try await pay.payment(apiKey: Self.westminsterKey, id: created.id).failureMessage == "Payment expired")
            #expect(!fake.settle(id: "nosuchpayment", status: .success))
        }
    }

    @Test func unknownOrMissingKeyIsUnauthorisedAndNeverEchoed() async throws {
        try await Self.withFake { fake, pay, _ in
            let wrongKey = "api_test_not_a_real_key_987654321"
            let error = await #expect(throws: PaymentError.unauthorised) {
                try await pay.createPayment(apiKey: wrongKey, Self.request())
            }
            #expect(error?.publicDetail.contains(wrongKey) == false)
            #expect(error?.kind == .unavailable)
            let created = try await pay.createPayment(apiKey: Self.westminsterKey, Self.request())
            await #expect(throws: PaymentError.unauthorised) { try await pay.payment(apiKey: wrongKey, id: created.id) }

            let before = fake.requests.count
            await #expect(throws: PaymentError.unauthorised) { try await pay.payment(apiKey: "", id: created.id) }
            #expect(fake.requests.count == before)
        }
    }

    @Test func anotherAccountsPaymentIsNotFound() async throws {
        try await Self.withFake { _, pay, _ in
            let created = try await pay.createPayment(apiKey: Self.westminsterKey, Self.request())
            await #expect(throws: PaymentError.notFound) { try await pay.payment(apiKey: Self.cardiffKey, id: created.id) }
            await #expect(throws: PaymentError.notFound) {
                try await pay.payment(apiKey: Self.westminsterKey, id: "doesnotexist0000000000000")
            }
            #expect(try await pay.payment(apiKey: Self.westminsterKey, id: created.id).id == created.id)
        }
    }

    @Test(arguments: [0, -5, 10_000_001])
    func invalidAmountIsRejectedBeforeTheNetwork(_ amount: Int) async throws {
        try await Self.withFake { fake, pay, _ in
            let error = await #expect(throws: PaymentError.self) {
                try await pay.createPayment(apiKey: Self.westminsterKey, Self.request(amount: amount))
            }
            guard case .invalid(let issues) = error else {
                Issue.record("expected .invalid, got \(String(describing: error))")
                return
            }
            #expect(issues.map(\.field) == ["amount"])
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func otherLocalChecks() {
        #expect(Self.request(reference: "").issues.map(\.field) == ["reference"])
        #expect(Self.request(description: String(repeating: "x", count: 256)).issues.map(\.field) == ["description"])
        #expect(Self.request(description: String(repeating: "x", count: 255)).issues.isEmpty)
        #expect(Self.request(amount: 10_000_000).issues.isEmpty)
        for url in ["http://kerb.example/return", "ftp://kerb.example/x", "not a url", "https://"] {
            #expect(CreatePayment(amountPence: 100, reference: "r", description: "d", returnURL: url).issues.map(\.field) == ["return_url"])
        }
        for url in ["http://localhost:8080/return", "http://127.0.0.1/return", "https://kerb.example/return?x=1"] {
            #expect(CreatePayment(amountPence: 100, reference: "r", description: "d", returnURL: url).issues.isEmpty)
        }
        #expect(
            CreatePayment(amountPence: 100, reference: "r", description: "d", returnURL: "https://a.example", language: "fr").issues.map(
                \.field) == ["language"])
    }

    @Test func paymentIDCannotReachIntoOtherPaths() async throws {
        try await Self.withFake { fake, pay, _ in
            await #expect(throws: PaymentError.self) { try await pay.payment(apiKey: Self.westminsterKey, id: "../v1/payments") }
            await #expect(throws: PaymentError.self) { try await pay.payment(apiKey: Self.westminsterKey, id: "") }
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func fakeValidatesLikeGOVUKPay() async throws {
        try await Self.withFake { fake, _, browser in
            let base = try #require(fake.baseURL)
            let good = #""reference":"R1","description":"Fee","return_url":"https://kerb.example/r""#
            var (status, body) = try await Self.raw(browser, base, json: #"{"amount":0,\#(good)}"#)
            #expect(status == 422)
            #expect(body["code"] == "P0102")
            #expect(body["field"] == "amount")
            (status, body) = try await Self.raw(browser, base, json: #"{"amount":10000001,\#(good)}"#)
            #expect(status == 422 && body["code"] == "P0102" && body["description"]?.contains("10000000") == true)
            (status, body) = try await Self.raw(browser, base, json: #"{"amount":"1000",\#(good)}"#)
            #expect(status == 422 && body["field"] == "amount")
            (status, body) = try await Self.raw(browser, base, json: #"{"amount":1000,"reference":"R1","description":"Fee"}"#)
            #expect(status == 400 && body["code"] == "P0101" && body["field"] == "return_url")
            let long = String(repeating: "r", count: 256)
            (status, body) = try await Self.raw(
                browser, base, json: #"{"amount":1000,"reference":"\#(long)","description":"Fee","return_url":"https://kerb.example/r"}"#)
            #expect(status == 422 && body["field"] == "reference")
            (status, body) = try await Self.raw(browser, base, json: "{not json")
            #expect(status == 400 && body["code"] == "P0197")
            (status, body) = try await Self.raw(browser, base, json: #"{"amount":1000,\#(good)}"#, key: "wrong")
            #expect(status == 401)
            (status, _) = try await Self.raw(browser, base, json: #"{"amount":1000,\#(good)}"#)
            #expect(status == 201)
        }
    }

    @Test func rejectionByGOVUKPayCarriesItsCodeButNotTheKey() async throws {
        try await Self.withFake { _, pay, _ in
            // GOV.UK Pay refuses URLs in a description; Kerb leaves that rule to GOV.UK Pay.
            let error = await #expect(throws: PaymentError.self) {
                try await pay.createPayment(apiKey: Self.westminsterKey, Self.request(description: "See https://kerb.example"))
            }
            guard case .rejected(let detail) = error else {
                Issue.record("expected .rejected, got \(String(describing: error))")
                return
            }
            #expect(detail.contains("P0102"))
            #expect(detail.contains("description"))
            #expect(error?.publicDetail.contains(Self.westminsterKey) == false)
        }
    }

    @Test func unreachableServiceIsUnavailable() async throws {
        let fake = GovUKPayFake(apiKeys: [Self.westminsterKey: "westminster"])
        let port = try await fake.start()
        await fake.stop()
        let pay = GovUKPayClient(baseURL: "http://127.0.0.1:\(port)", timeout: .seconds(3))
        let error = await #expect(throws: PaymentError.self) {
            try await pay.createPayment(apiKey: Self.westminsterKey, Self.request())
        }
        guard case .unavailable = error else {
            Issue.record("expected .unavailable, got \(String(describing: error))")
            return
        }
        #expect(error?.publicDetail.contains(Self.westminsterKey) == false)
    }

    @Test func decodesGOVUKPaysPublishedShape() throws {
        let json = """
            {"amount":14500,"description":"Pay your council tax","reference":"12345","language":"en",
             "state":{"status":"failed","finished":true,"message":"Payment method rejected","code":"P0010"},
             "payment_id":"hu20sqlact5260q2nanm0q8u93","payment_provider":"worldpay","created_date":"2020-03-03T16:17:19.554Z",
             "refund_summary":{"status":"pending","amount_available":14500,"amount_submitted":0},
             "delayed_capture":false,"_links":{"self":{"href":"https://publicapi.payments.service.gov.uk/v1/payments/hu20","method":"GET"},
             "next_url":null}}
            """
        let payment = try JSONDecoder().decode(Payment.self, from: Data(json.utf8))
        #expect(payment.id == "hu20sqlact5260q2nanm0q8u93")
        #expect(payment.amountPence == 14500)
        #expect(payment.status == .failed && payment.finished && payment.failureCode == "P0010")
        #expect(payment.nextURL == nil)
        #expect(payment.createdAt == "2020-03-03T16:17:19.554Z")
        let again = try JSONDecoder().decode(Payment.self, from: try JSONEncoder().encode(payment))
        #expect(again == payment)
    }

    @Test func finishedStatusesMatchGOVUKPay() {
        let finished = PaymentStatus.allCases.filter(\.isFinished)
        #expect(finished == [.success, .failed, .cancelled, .error])
    }
}
