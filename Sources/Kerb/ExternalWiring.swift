import Casework
import Communications
import Foundation
import Logging
import NationalBlueBadge
import Notify
import Payments
import Tenancy
import Web

/// How `kerb serve` reaches GOV.UK Pay and the national Blue Badge service.
///
/// Live: `KERB_NATIONAL_BB_URL`, `KERB_GOVUK_PAY_URL` and `KERB_NOTIFY_URL` name the services
/// (Pay and Notify default to production); each council's credentials are files under
/// `KERB_SECRETS_DIR/<council>/` (`national-bb-token`, `govuk-pay-api-key`, `notify-api-key`
/// and `notify-templates`, the ids of the council's three carrier templates in Notify),
/// mounted by the deployment, never in the database, git or logs.
/// A council without its file simply has that service "not set up" on its pages.
///
/// Demo and offline runs point the same settings at `kerb-demo fakes` (not in this binary), which
/// writes each demo council's credentials where this wiring reads them (`infra/run`).
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
            feeGateway: { tenant in secret(tenant, "govuk-pay-api-key").map { GovUKPayGateway(client: pay, apiKey: $0) } },
            notify: NotifyWiring(
                client: GovUKNotifyClient(baseURL: environment["KERB_NOTIFY_URL"] ?? GovUKNotifyClient.productionBaseURL),
                service: { tenant in
                    guard let key = secret(tenant, "notify-api-key").flatMap(NotifyAPIKey.init),
                        let templates = secret(tenant, "notify-templates").flatMap(NotifyService.templates(from:))
                    else { return nil }
                    return NotifyService(key: key, templates: templates)
                }))
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
