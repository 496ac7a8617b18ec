import Audit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import KerbTestSupport
import Logging
import Policy
import Tenancy
import Testing

@testable import Web

/// Issue 9: the cross-council matrix, generated from the router's declared routes. For every
/// route that takes an identifier, council A's real identifiers used at council B (by B's
/// fully permitted administrator, with B's session or B's API key) answer exactly as an
/// identifier that exists nowhere: same status, same body once request ids are set aside.
/// Sessions, keys, hosts and suspended councils across councils are covered by
/// `SignInPageTests.aCookieFromOneCouncilMeansNothingAtAnother`,
/// `APITests.keysAreConfinedToTheirCouncilTheirPermissionsAndTheirLifetime`,
/// `HostileRequestTests.originsKeepCouncilsApart` and `WebTests.aSuspendedCouncilIs503UntilResumed`.
@Suite struct CrossCouncilMatrixTests {
    static let logger = Logger(label: "test")

    /// A council whose administrator is in every group, with a key holding every casework permission.
    struct Side {
        let council: SignedInCouncil
        let key: String
        let ids: [String: String]
    }

    static func side(_ client: any TestClientProtocol, _ deps: WebDependencies, withRecords: Bool) async throws -> Side {
        let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
        try await TestDatabase.admin.transaction { session in
            try session.enterTenant(council.tenant.scope)
            try session.query(
                """
                INSERT INTO group_memberships (user_id, group_id, status, decided_at)
                SELECT $1::uuid, id, 'active', now() FROM access_groups ON CONFLICT DO NOTHING
                """, [council.adminID.uuidString])
        }
        let keys = APIKeyService(database: deps.identity.database)
        let actor = AuditEvent(actorID: council.adminID, actor: "Alex Morgan", action: "")
        let created = try await keys.create(
            council.tenant.scope, name: "matrix", permissions: Set(APIKeyService.grantable), by: actor, now: Date(), logger: logger)
        func post(_ path: String, _ json: String) async throws -> [String: Any] {
            let response = try await client.execute(
                uri: "/t/\(council.tenant.slug)/api/v1/\(path)", method: .post,
                headers: [.authorization: "Bearer \(created.key)", .contentType: "application/json"], body: ByteBuffer(string: json))
            #expect(response.status == .created, "\(path): \(String(buffer: response.body))")
            return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
        // References count per council, so B must hold none for A's to be foreign to it.
        guard withRecords else { return Side(council: council, key: created.key, ids: [:]) }
        let application = try await post(
            "applications",
            #"{"applicant":{"fullName":"Ann Example","dateOfBirth":"1950-02-03","addressLine1":"1 Road","postcode":"SW1A 1AA"},"kind":"NEW","channel":"PAPER","eligibility":"PIP"}"#
        )
        let enforcement = try await post(
            "enforcement-cases",
            #"{"badgeNumber":"KKJKKJ","location":"High Street","observation":"Parked without the holder","reportedBy":"Warden 12"}"#)
        let membership = try await deps.identity.groups.memberships(council.tenant.scope, userID: council.adminID, logger: logger).first
        let letter = try await deps.cases.file(
            council.tenant.scope, reference: try #require(application["reference"] as? String), as: .reader, logger: logger
        ).letters.first
        return Side(
            council: council, key: created.key,
            ids: [
                "reference": try #require(application["reference"] as? String),
                "enforcement": try #require(enforcement["reference"] as? String),
                "user": council.adminID.uuidString, "membership": membership?.id.uuidString ?? UUID().uuidString,
                "key": created.id.uuidString, "letter": letter?.id.uuidString ?? UUID().uuidString,
            ])
    }

    /// A's identifier for a route parameter, and one of the same form that exists nowhere.
    static func identifiers(_ parameter: String, path: String, _ a: Side) -> (foreign: String, missing: String) {
        switch parameter {
        case "reference" where path.hasPrefix("enforcement") || path.hasPrefix("api/v1/enforcement"):
            (a.ids["enforcement"] ?? "", "EN-2099-999999")
        case "reference": (a.ids["reference"] ?? "", "BB-2099-999999")
        case "number": ("KKJKKJ", "KKJKKH")
        case "user", "membership", "key", "letter": (a.ids[parameter] ?? "", UUID().uuidString)
        default: ("letter-of-a", "letter-of-nobody")
        }
    }

    /// The body with everything that differs between two requests for reasons other than the
    /// identifier set aside: request ids, the identifiers themselves.
    static func normalised(_ body: String, _ identifiers: [String]) -> String {
        // Hummingbird's request ids are hex without leading zeros: usually 32 digits, sometimes fewer.
        var text = body.replacing(#/[0-9a-f]{24,32}/#, with: "<request-id>")
        for identifier in identifiers where !identifier.isEmpty { text = text.replacingOccurrences(of: identifier, with: "<id>") }
        return text
    }

    @Test func aForeignIdentifierAnswersExactlyLikeOneThatDoesNotExist() async throws {
        let deps = try await TestApp.dependencies()
        let (router, catalogue) = try buildRouterWithCatalogue(WebConfig(), deps, pages: try await Pages.load())
        let app = application(router, WebConfig(), deps, logger: Self.logger)
        let routes = catalogue.all.filter { $0.area != .ops && $0.path.contains("{") && $0.access != .anyone }
        #expect(routes.count > 25, "routes with identifiers: \(routes.count)")
        try await app.test(.router) { client in
            let a = try await Self.side(client, deps, withRecords: true)
            let b = try await Self.side(client, deps, withRecords: false)
            var compared = 0
            for route in routes.sorted(by: { $0.path < $1.path }) {
                var foreignPath = route.path
                var missingPath = route.path
                var used: [String] = []
                for match in route.path.matches(of: #/\{([a-z]+)\}/#) {
                    let (foreign, missing) = Self.identifiers(String(match.output.1), path: route.path, a)
                    foreignPath = foreignPath.replacingOccurrences(of: String(match.output.0), with: foreign)
                    missingPath = missingPath.replacingOccurrences(of: String(match.output.0), with: missing)
                    used += [foreign, missing]
                }
                let answers: [(status: HTTPResponse.Status, body: String)]
                if route.area == .api {
                    var headers: HTTPFields = [.authorization: "Bearer \(b.key)"]
                    if route.method != .get { headers[.contentType] = "application/json" }
                    var results: [(HTTPResponse.Status, String)] = []
                    for path in [foreignPath, missingPath] {
                        let response = try await client.execute(
                            uri: "/t/\(b.council.tenant.slug)/\(path)", method: route.method, headers: headers,
                            body: route.method == .get ? nil : ByteBuffer(string: "{}"))
                        results.append((response.status, String(buffer: response.body)))
                    }
                    answers = results
                } else {
                    var results: [(HTTPResponse.Status, String)] = []
                    for path in [foreignPath, missingPath] {
                        let page =
                            route.method == .get ? try await b.council.admin.get("/" + path) : try await b.council.admin.post("/" + path)
                        results.append((page.status, page.html))
                    }
                    answers = results
                }
                #expect(
                    answers[0].status == answers[1].status,
                    "\(route.method) \(route.path): A's id \(answers[0].status), none \(answers[1].status)")
                #expect(
                    answers[0].status.code < 500 && answers[0].status != .ok || route.method == .post,
                    "\(route.method) \(route.path) served A's record: \(answers[0].status)")
                #expect(
                    Self.normalised(answers[0].body, used) == Self.normalised(answers[1].body, used),
                    "\(route.method) \(route.path): the answer for A's id differs from the answer for no id")
                compared += 1
            }
            #expect(compared == routes.count)
        }
    }
}
