import ContractFakes
import Foundation
import Logging
import Testing

/// Issue 9: the GOV.UK Pay fake answers as GOV.UK Pay's own published OpenAPI document says
/// (`Tests/Contracts/govuk-pay-publicapi.json`), on the two operations Kerb uses. schemathesis
/// generates the requests from that document, so the fake is held to the service's contract and
/// not to our reading of it; the stateful phase feeds created payments' ids to "get a payment".
@Suite struct GovUKPayContractTests {
    static let logger = Logger(label: "test")
    static let operations = ["POST /v1/payments", "GET /v1/payments/{paymentId}"]

    @Test func theFakeAnswersAsGOVUKPaysDocumentSays() async throws {
        let schemathesis = try Schemathesis.executable()
        let document = Schemathesis.repositoryRoot.appendingPathComponent("Tests/Contracts/govuk-pay-publicapi.json").path
        let apiKey = "api_test_schemathesis_\(UUID().uuidString.lowercased())"
        let pay = GovUKPayFake(apiKeys: [apiKey: "contract test"])
        let port = try await pay.start()
        let outcome: Schemathesis.Outcome
        do {
            outcome = try await Schemathesis.run(
                schemathesis,
                [document, "--url", "http://127.0.0.1:\(port)", "--header", "Authorization: Bearer \(apiKey)", "--max-examples", "30"]
                    + Self.operations.flatMap { ["--include-name", $0] },
                secrets: [apiKey])
        } catch {
            await pay.stop()
            throw error
        }
        await pay.stop()
        Self.logger.info("schemathesis against the GOV.UK Pay fake took \(Int(outcome.seconds)) s")
        #expect(outcome.status == 0, "schemathesis found answers GOV.UK Pay's document does not describe:\n\(outcome.output)")
        // Both operations were exercised, and "get a payment" found a payment at least once.
        let requests = pay.requests
        #expect(requests.contains("POST /v1/payments"))
        let fetched = requests.compactMap { $0.hasPrefix("GET /v1/payments/") ? String($0.dropFirst(17)) : nil }
        #expect(fetched.contains { pay.payment(id: $0) != nil }, "no request fetched a payment that exists")
    }
}
