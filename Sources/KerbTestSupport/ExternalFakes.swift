import Casework
import ContractFakes
import Foundation
import NationalBlueBadge
import Payments
import Web

/// The GOV.UK Pay and national Blue Badge service contract fakes on local ports, and Kerb's
/// connections to them (every council reaches them as `localAuthority`, with one token and key).
public struct ExternalFakes: Sendable {
    public let pay: GovUKPayFake
    public let national: NationalBlueBadgeFake
    /// Pass to `withApp(external:)` or `TestApp.dependencies(external:)`.
    public let services: ExternalServices
}

/// Starts both fakes, runs `body`, and stops them whatever happens.
public func withExternalFakes(
    localAuthority: String, nationalToken: String = "national-token", payKey: String = "api_test_key",
    payAccount: String = "test council", _ body: @Sendable (ExternalFakes) async throws -> Void
) async throws {
    let national = NationalBlueBadgeFake(tokens: [nationalToken: localAuthority])
    let pay = GovUKPayFake(apiKeys: [payKey: payAccount])
    do {
        let nationalURL = "http://127.0.0.1:\(try await national.start())"
        let payClient = GovUKPayClient(baseURL: "http://127.0.0.1:\(try await pay.start())")
        let services = ExternalServices(
            national: { _ in
                NationalRegister(
                    client: NationalBlueBadgeClient(baseURL: nationalURL, token: nationalToken), localAuthority: localAuthority)
            },
            feeGateway: { _ in GovUKPayGateway(client: payClient, apiKey: payKey) })
        try await body(ExternalFakes(pay: pay, national: national, services: services))
    } catch {
        await national.stop()
        await pay.stop()
        throw error
    }
    await national.stop()
    await pay.stop()
}
