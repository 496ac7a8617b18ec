import Audit
import Casework
import ContractFakes
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import KerbTestSupport
import Logging
import NationalBlueBadge
import Payments
import Policy
import Tenancy
import Testing
import Yams

@testable import Web

/// The JSON API: keys per council (unknown, another council's and revoked keys are 401), the
/// policy engine deciding every operation by the key's permissions (refusals audited), the
/// OpenAPI document matching the routes, and an application from intake to a badge.
@Suite struct APITests {
    static let logger = Logger(label: "test")

    struct World {
        let client: any TestClientProtocol
        let deps: WebDependencies
        let tenant: Tenant
        let adminID: UUID
        let pay: GovUKPayFake
        let national: NationalBlueBadgeFake

        func key(_ name: String, _ permissions: Set<Permission>) async throws -> String {
            try await APIKeyService(database: deps.identity.database).create(
                tenant.scope, name: name, permissions: permissions, by: AuditEvent(actorID: adminID, actor: "Alex Morgan", action: ""),
                now: Date(), logger: APITests.logger
            ).key
        }

        func call(_ method: HTTPRequest.Method, _ path: String, key: String?, json: String? = nil) async throws -> (
            status: HTTPResponse.Status, body: [String: Any], headers: HTTPFields
        ) {
            var headers: HTTPFields = [:]
            if let key { headers[.authorization] = "Bearer \(key)" }
            if json != nil { headers[.contentType] = "application/json" }
            let response = try await client.execute(
                uri: "/t/\(tenant.slug)/api/v1/\(path)", method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }

    func withWorld(_ test: @escaping @Sendable (World) async throws -> Void) async throws {
        let onboarded = try await TestDatabase.onboardTestTenant()
        let tenant = onboarded.tenant
        // A council's short code is at most ten letters (as `kerb serve` derives it); a longer one
        // is refused by the national service client, which made badge orders fail at random.
        let code = String(tenant.authoritySlug.uppercased().filter(\.isLetter).prefix(10))
        try await withExternalFakes(localAuthority: code) { fakes in
            try await withApp(external: fakes.services) { client, wired in
                let adminID = try #require(try await wired.identity.users.list(tenant.scope, logger: Self.logger).first?.id)
                try await test(
                    World(client: client, deps: wired, tenant: tenant, adminID: adminID, pay: fakes.pay, national: fakes.national))
            }
        }
    }

    /// The routes are generated from the document Kerb serves, and each is served under the
    /// permission the document declares for it: the router's catalogue holds exactly those.
    @Test func everyOperationOfTheServedDocumentIsRoutedUnderItsDeclaredPermission() async throws {
        try await withWorld { world in
            let response = try await world.client.execute(uri: "/t/\(world.tenant.slug)/api/v1/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            let served = try APIOperations(yaml: String(buffer: response.body))
            #expect(served.permissions.count == 19)
            let routes = try buildRouterWithCatalogue(WebConfig(), world.deps, pages: try await Pages.load()).catalogue.all
            let routed = Set(
                routes.filter { $0.area == .api && $0.path.hasPrefix("api/v1/") && $0.access != .anyone }
                    .map { "\($0.method) /\($0.path.dropFirst("api/v1/".count)) \($0.access)" })
            #expect(routed == Set(served.permissions.map { "\($0.key.method) \($0.key.path) \($0.value.rawValue)" }))
            // Every documented operation exists behind the key check (401, not 404); only the
            // document and the council's public profile are open.
            for key in served.permissions.keys {
                let path = key.path.dropFirst().replacingOccurrences(of: "{reference}", with: "BB-2026-000001")
                    .replacingOccurrences(of: "{number}", with: "KKJKKJ")
                #expect(try await world.call(key.method, path, key: nil).status == .unauthorized, "\(key)")
            }
        }
    }

    @Test func keysAreConfinedToTheirCouncilTheirPermissionsAndTheirLifetime() async throws {
        try await withWorld { world in
            // No key, a made-up key: 401 with a Bearer challenge, as problem+json.
            let none = try await world.call(.get, "applications", key: nil)
            #expect(none.status == .unauthorized && none.headers[.wwwAuthenticate] == "Bearer")
            #expect(none.body["code"] as? String == "identity.api-key-required")
            #expect(try await world.call(.get, "applications", key: "kerb_made_up").status == .unauthorized)
            // Another council's live key means nothing here.
            let other = try await TestDatabase.onboardTestTenant().tenant
            let otherAdmin = try await world.deps.identity.users.list(other.scope, logger: Self.logger).first?.id
            let foreign = try await APIKeyService(database: world.deps.identity.database).create(
                other.scope, name: "Other council portal", permissions: [.viewCase, .editCase],
                by: AuditEvent(actorID: otherAdmin, actor: "Other admin", action: ""), now: Date(), logger: Self.logger
            ).key
            #expect(try await world.call(.get, "applications", key: foreign).status == .unauthorized)
            // A read-only key reads, and is refused (403, audited under its name) when it writes.
            let reader = try await world.key("Reporting tool", [.viewCase])
            let list = try await world.call(.get, "applications", key: reader)
            #expect(list.status == .ok && list.headers[.cacheControl] == "no-store")
            let refused = try await world.call(
                .post, "applications", key: reader,
                json:
                    #"{"applicant":{"fullName":"Ann Example","addressLine1":"1 Road","postcode":"SW1A 1AA"},"kind":"NEW","channel":"PAPER","eligibility":"PIP"}"#
            )
            #expect(refused.status == .forbidden)
            let denials = try await AuditLog.recent(
                database: world.deps.identity.database, scope: world.tenant.scope, deniedOnly: true, logger: Self.logger)
            #expect(denials.first?.event.actor == "API: Reporting tool" && denials.first?.event.target == "case.edit")
            #expect(try await world.call(.get, "mi", key: reader).status == .forbidden)
            // Administration cannot be granted to a key at all.
            await #expect(throws: IdentityError.self) {
                _ = try await world.key("Sneaky", [.manageUsers, .managePolicy])
            }
            // Revoked: refused at once; the integration is not a person who could sign in.
            let keys = APIKeyService(database: world.deps.identity.database)
            let id = try #require(try await keys.list(world.tenant.scope, logger: Self.logger).first { $0.name == "Reporting tool" }?.id)
            try await keys.revoke(
                world.tenant.scope, id: id, by: AuditEvent(actorID: world.adminID, actor: "Alex Morgan", action: ""), now: Date(),
                logger: Self.logger)
            #expect(try await world.call(.get, "applications", key: reader).status == .unauthorized)
            #expect(
                try await world.deps.identity.users.list(world.tenant.scope, logger: Self.logger).allSatisfy {
                    !$0.fullName.hasPrefix("API:")
                })
        }
    }

    @Test func anApplicationGoesFromIntakeToABadgeThroughTheAPI() async throws {
        try await withWorld { world in
            let intake = try await world.key("Customer portal", [.viewCase, .editCase, .takePayments])
            let decider = try await world.key("Decision service", [.viewCase, .decideCase, .issueBadge])
            // Bad input: each problem named, nothing stored.
            let bad = try await world.call(
                .post, "applications", key: intake,
                json: #"{"applicant":{"fullName":" ","addressLine1":"1 Road","postcode":"nope"},"kind":"REPLACE","channel":"PAPER"}"#)
            #expect(bad.status == .unprocessableContent)
            let fields = Set(((bad.body["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
            #expect(fields.isSuperset(of: ["full-name", "postcode", "replace-reason"]))
            #expect(try await world.call(.post, "applications", key: intake, json: "{not json").status == .unprocessableContent)
            #expect(try await world.call(.get, "applications?q=Example", key: intake).body.isEmpty)
            let created = try await world.call(
                .post, "applications", key: intake,
                json:
                    #"{"applicant":{"fullName":"Ann Example","dateOfBirth":"1950-02-03","addressLine1":"1 Road","town":"London","postcode":"sw1a 1aa","phone":"020 7946 0000"},"kind":"NEW","channel":"ONLINE","eligibility":"PIP"}"#
            )
            #expect(created.status == .created)
            let reference = try #require(created.body["reference"] as? String)
            #expect(created.body["status"] as? String == "RECEIVED")
            // A refusal without reasons is refused.
            let noReasons = try await world.call(.post, "applications/\(reference)/decision", key: decider, json: #"{"outcome":"REFUSED"}"#)
            #expect(noReasons.status == .unprocessableContent)
            let approved = try await world.call(.post, "applications/\(reference)/decision", key: decider, json: #"{"outcome":"APPROVED"}"#)
            #expect(approved.status == .ok && approved.body["status"] as? String == "APPROVED")
            // No badge before the fee; the fee through GOV.UK Pay; then the badge.
            let today = Day(Date())
            let early = try await world.call(
                .post, "applications/\(reference)/badge", key: decider, json: #"{"startDate":"\#(today.iso)"}"#)
            #expect(early.status == .conflict && early.body["code"] as? String == "casework.fee-not-paid")
            let payment = try await world.call(
                .post, "applications/\(reference)/payment", key: intake, json: #"{"returnUrl":"https://portal.example/done"}"#)
            #expect(payment.status == .created && payment.body["amountPence"] as? Int == 1000)
            let next = try #require(payment.body["nextUrl"] as? String)
            #expect(world.pay.settle(id: try #require(next.split(separator: "/").last.map(String.init)), status: .success))
            let tooLong = try await world.call(
                .post, "applications/\(reference)/badge", key: decider,
                json: #"{"startDate":"\#(today.iso)","expiryDate":"\#(today.adding(months: 37).iso)"}"#)
            #expect(tooLong.status == .unprocessableContent)
            let badge = try await world.call(
                .post, "applications/\(reference)/badge", key: decider, json: #"{"startDate":"\#(today.iso)"}"#)
            #expect(badge.status == .created && badge.body["status"] as? String == "ORDERED", "\(badge.body)")
            let number = try #require(badge.body["badgeNumber"] as? String)
            #expect(BadgeNumber.isValid(number) && badge.body["expiryDate"] as? String == today.adding(months: 36).iso)
            #expect(try await world.call(.get, "badges/\(number)", key: intake).body["holder"] as? String == "Ann Example")
            // The steps are on the timeline under the integrations' names.
            let file = try await world.call(.get, "applications/\(reference)", key: intake)
            let actors = Set(((file.body["timeline"] as? [[String: Any]]) ?? []).compactMap { $0["actor"] as? String })
            #expect(actors.isSuperset(of: ["API: Customer portal", "API: Decision service"]))
        }
    }

    @Test func renewalInvitationsGoOutOnScheduleOncePerBadge() async throws {
        try await withWorld { world in
            let key = try await world.key("Back office", [.viewCase, .editCase, .decideCase, .issueBadge, .takePayments])
            let created = try await world.call(
                .post, "applications", key: key,
                json:
                    #"{"applicant":{"fullName":"Olive Short","dateOfBirth":"1940-01-01","addressLine1":"1 Road","postcode":"SW1A 1AA","phone":"020 7946 0000"},"kind":"RENEW","channel":"PAPER","eligibility":"BLIND"}"#
            )
            let reference = try #require(created.body["reference"] as? String)
            _ = try await world.call(.post, "applications/\(reference)/decision", key: key, json: #"{"outcome":"APPROVED"}"#)
            let payment = try await world.call(
                .post, "applications/\(reference)/payment", key: key, json: #"{"returnUrl":"https://portal.example/done"}"#)
            let next = try #require(payment.body["nextUrl"] as? String)
            #expect(world.pay.settle(id: try #require(next.split(separator: "/").last.map(String.init)), status: .success))
            // A short badge (the holder's award ends soon): inside the 56-day invitation window.
            let today = Day(Date())
            let badge = try await world.call(
                .post, "applications/\(reference)/badge", key: key,
                json: #"{"startDate":"\#(today.iso)","expiryDate":"\#(today.adding(days: 40).iso)"}"#)
            #expect(badge.status == .created, "\(badge.body)")
            let scheduler = ScheduledCasework(deps: world.deps, logger: Self.logger)
            #expect(try await scheduler.runOnce(only: [world.tenant])[world.tenant.slug.description] == 1)
            #expect(try await scheduler.runOnce(only: [world.tenant])[world.tenant.slug.description] == nil)
            let file = try await world.call(.get, "applications/\(reference)", key: key)
            let letters = (file.body["letters"] as? [[String: Any]]) ?? []
            #expect(letters.filter { $0["kind"] as? String == "renewal-invitation" }.count == 1)
            let actors = ((file.body["timeline"] as? [[String: Any]]) ?? []).compactMap { $0["actor"] as? String }
            #expect(actors.contains("Kerb (scheduled)"))
            // The scheduler is not a person who could sign in or be managed.
            #expect(
                try await world.deps.identity.users.list(world.tenant.scope, logger: Self.logger).allSatisfy {
                    $0.fullName != "Kerb (scheduled)"
                })
        }
    }
}
