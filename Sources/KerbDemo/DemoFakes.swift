import ContractFakes
import Crypto
import Foundation
import Logging
import NationalBlueBadge
import Notify

/// The demo councils the fakes know by default: the councils `kerb demo seed` onboards
/// (`Sources/Kerb/Demo.swift`, `Demo.councils`); `kerb-demo fakes --councils` names others.
enum DemoCouncils {
    static let slugs = ["westminster", "cardiff", "glasgow", "devon", "northern-ireland"]

    /// The council's code in the national service, as `kerb serve` derives it from the slug
    /// (`ExternalWiring.localAuthorityCode`): up to ten upper-case letters.
    static func localAuthorityCode(_ slug: String) -> String {
        String(slug.uppercased().filter { $0.isLetter && $0.isASCII }.prefix(10))
    }

    static func nationalToken(_ slug: String) -> String { "demo-national-\(slug)" }
    static func payKey(_ slug: String) -> String { "api_test_demo_\(slug)" }
}

/// Both fakes for the demo councils: each council has a token and an API key of its own and finds
/// two online applications waiting in the national service.
struct DemoFakes: Sendable {
    let councils: [String]
    let national: NationalBlueBadgeFake
    let pay: GovUKPayFake
    let notify: GovUKNotifyFake
    /// Each council's Notify key and carrier templates, made when the fake starts.
    let notifyServices: [String: (key: NotifyAPIKey, templates: [NotifyChannel: UUID])]

    init(councils: [String], logger: Logger, stateDirectory: URL?) {
        self.councils = councils
        var tokens: [String: String] = [:]
        var keys: [String: String] = [:]
        for slug in councils {
            tokens[DemoCouncils.nationalToken(slug)] = DemoCouncils.localAuthorityCode(slug)
            keys[DemoCouncils.payKey(slug)] = slug
        }
        // The demo register keeps its numbering beside the demo's data, so a restart never hands
        // out a badge number it gave before.
        national = NationalBlueBadgeFake(
            tokens: tokens, logger: logger, sequenceFile: stateDirectory?.appendingPathComponent("demo-national-register-sequence"))
        pay = GovUKPayFake(apiKeys: keys, logger: logger)
        // Messages move to delivered within ten seconds, as the case page shows.
        notify = GovUKNotifyFake(statusStep: 5, logger: logger)
        var services: [String: (key: NotifyAPIKey, templates: [NotifyChannel: UUID])] = [:]
        for slug in councils {
            let key = notify.addService(name: "\(slug) Blue Badge")
            services[slug] = (
                key,
                [
                    .email: notify.addTemplate(
                        service: key.serviceID, name: "Kerb email", type: .email, subject: "((subject))", body: "((body))"),
                    .sms: notify.addTemplate(service: key.serviceID, name: "Kerb text message", type: .sms, body: "((body))"),
                    .letter: notify.addTemplate(
                        service: key.serviceID, name: "Kerb letter", type: .letter, subject: "((subject))", body: "((body))"),
                ]
            )
        }
        notifyServices = services
    }

    /// Starts both fakes, seeds the applications, and returns their base URLs.
    func start(host: String, nationalPort: Int, payPort: Int, notifyPort: Int) async throws -> (
        national: String, pay: String, notify: String
    ) {
        _ = try await national.start(host: host, port: nationalPort)
        _ = try await pay.start(host: host, port: payPort)
        _ = try await notify.start(host: host, port: notifyPort)
        // The same two applications per council on every run, with ids derived from the council
        // and the applicant, so a restart does not offer them for import again.
        for slug in councils {
            for (index, applicant) in [("Edith Marlowe", "PIP", true), ("Dennis Okoro", "WALKD", false)].enumerated() {
                national.seed(
                    NationalApplication(
                        applicationTypeCode: "NEW", localAuthorityCode: DemoCouncils.localAuthorityCode(slug), paymentTaken: applicant.2,
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
        return (national.baseURL ?? "", pay.baseURL ?? "", notify.baseURL ?? "")
    }

    /// Each council's credentials as `kerb serve` reads them: `<dir>/<slug>/national-bb-token`,
    /// `govuk-pay-api-key`, `notify-api-key` and `notify-templates`, readable by this user only.
    func writeSecrets(to directory: URL) throws {
        let files = FileManager.default
        for slug in councils {
            let folder = directory.appendingPathComponent(slug)
            try files.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var secretFiles = [("national-bb-token", DemoCouncils.nationalToken(slug)), ("govuk-pay-api-key", DemoCouncils.payKey(slug))]
            if let service = notifyServices[slug] {
                secretFiles += [("notify-api-key", service.key.text), ("notify-templates", NotifyService.templatesFile(service.templates))]
            }
            for (name, value) in secretFiles {
                let file = folder.appendingPathComponent(name)
                try Data((value + "\n").utf8).write(to: file)
                try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            }
        }
    }

    func stop() async {
        await national.stop()
        await pay.stop()
        await notify.stop()
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
