import Casework
import ContractFakes
import Crypto
import Foundation
import Logging
import NationalBlueBadge
import Payments
import Tenancy
import Web

/// How `kerb serve` reaches GOV.UK Pay and the national Blue Badge service.
///
/// Live: `KERB_NATIONAL_BB_URL` and `KERB_GOVUK_PAY_URL` name the services; each council's
/// credentials are files under `KERB_SECRETS_DIR/<council>/` (`national-bb-token`,
/// `govuk-pay-api-key`), mounted by the deployment, never in the database, git or logs.
/// A council without its file simply has that service "not set up" on its pages.
///
/// Demo (`--demo-services`): both contract fakes run inside the process, every council gets
/// credentials of its own, and each demo council finds two online applications waiting.
enum ExternalWiring {
    /// The council's code in the national service: up to ten upper-case letters (as its short
    /// codes are, e.g. `ABERD`), taken from the slug.
    static func localAuthorityCode(_ slug: String) -> String {
        String(slug.uppercased().filter { $0.isLetter && $0.isASCII }.prefix(10))
    }

    static func live(environment: [String: String]) -> ExternalServices {
        let secrets = environment["KERB_SECRETS_DIR"].map { URL(fileURLWithPath: $0) }
        @Sendable func secret(_ tenant: Tenant, _ name: String) -> String? {
            guard let secrets else { return nil }
            let file = secrets.appendingPathComponent(tenant.authoritySlug).appendingPathComponent(name)
            return (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        }
        let nationalURL = environment["KERB_NATIONAL_BB_URL"]
        let pay = GovUKPayClient(baseURL: environment["KERB_GOVUK_PAY_URL"] ?? GovUKPayClient.productionBaseURL)
        return ExternalServices(
            national: { tenant in
                guard let nationalURL, let token = secret(tenant, "national-bb-token") else { return nil }
                return NationalRegister(
                    client: NationalBlueBadgeClient(baseURL: nationalURL, token: token),
                    localAuthority: localAuthorityCode(tenant.authoritySlug))
            },
            feeGateway: { tenant in secret(tenant, "govuk-pay-api-key").map { GovUKPayGateway(client: pay, apiKey: $0) } })
    }

    /// Starts the fakes for the demo councils and returns the services bound to them, plus a
    /// way to stop them. Other councils have the services "not set up".
    static func demo(logger: Logger, stateDirectory: URL? = nil) async throws -> (ExternalServices, @Sendable () async -> Void) {
        let slugs = Demo.councils.map(\.authority)
        var tokens: [String: String] = [:]
        var keys: [String: String] = [:]
        for slug in slugs {
            tokens["demo-national-\(slug)"] = localAuthorityCode(slug)
            keys["api_test_demo_\(slug)"] = slug
        }
        let national = NationalBlueBadgeFake(
            tokens: tokens, logger: logger, sequenceFile: stateDirectory?.appendingPathComponent("demo-national-register-sequence"))
        let pay = GovUKPayFake(apiKeys: keys, logger: logger)
        let nationalPort = try await national.start()
        let payPort = try await pay.start()
        let nationalURL = "http://127.0.0.1:\(nationalPort)"
        let payClient = GovUKPayClient(baseURL: "http://127.0.0.1:\(payPort)")
        let services = ExternalServices(
            national: { tenant in
                guard slugs.contains(tenant.authoritySlug) else { return nil }
                return NationalRegister(
                    client: NationalBlueBadgeClient(baseURL: nationalURL, token: "demo-national-\(tenant.authoritySlug)"),
                    localAuthority: localAuthorityCode(tenant.authoritySlug))
            },
            feeGateway: { tenant in
                guard slugs.contains(tenant.authoritySlug) else { return nil }
                return GovUKPayGateway(client: payClient, apiKey: "api_test_demo_\(tenant.authoritySlug)")
            })
        // The same two applications per demo council on every run, with ids derived from the
        // council and the applicant, so a restart does not offer them for import again.
        for slug in slugs {
            for (index, applicant) in [("Edith Marlowe", "PIP", true), ("Dennis Okoro", "WALKD", false)].enumerated() {
                national.seed(
                    NationalApplication(
                        applicationTypeCode: "NEW", localAuthorityCode: localAuthorityCode(slug), paymentTaken: applicant.2,
                        paymentReference: applicant.2 ? "PVAUETDW43CM" : nil,
                        submissionDate: NationalDate.instant(Date().addingTimeInterval(-Double(index + 1) * 86_400)),
                        party: NationalParty(
                            contact: NationalContact(
                                fullName: applicant.0, buildingStreet: "\(12 + index) Park Lane", townCity: "Demo Town",
                                postCode: "W1K 1AA", primaryPhoneNumber: "020 7946 01\(10 + index)",
                                emailAddress: "applicant\(index)@example.com"),
                            person: NationalPerson(
                                badgeHolderName: applicant.0, dob: index == 0 ? "1948-06-14" : "1961-11-30", genderCode: "UNSPECIFIE")),
                        eligibility: NationalEligibility(typeCode: applicant.1),
                        artifacts: [NationalArtifact(type: "PROOF_ID", link: "https://example.com/id.jpg")]),
                    id: demoApplicationID(slug, index))
            }
        }
        logger.notice("demo services: national Blue Badge service fake at \(nationalURL), GOV.UK Pay fake at \(pay.baseURL ?? "")")
        return (
            services,
            {
                await national.stop(); await pay.stop()
            }
        )
    }
}

/// A stable id for a demo council's `index`th online application (a name-based UUID).
private func demoApplicationID(_ slug: String, _ index: Int) -> UUID {
    var bytes = Array(Insecure.SHA1.hash(data: Data("kerb-demo/\(slug)/\(index)".utf8)).prefix(16))
    bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5
    bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
    return UUID(
        uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
            bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
