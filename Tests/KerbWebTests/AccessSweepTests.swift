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

/// Issue 9: the access sweep, generated from the router. Every council and supplier-operations
/// route the router holds must have an access declaration (so a new route without one fails
/// here), and each declaration holds: no session → sign in (pages) or 401 (API); a person
/// without the permission → 403 and an audit row; an API key without it → 403; a council's
/// session means nothing at `/ops`.
@Suite struct AccessSweepTests {
    static let logger = Logger(label: "test")
    /// Routes of the service itself, before the tenant middleware: public by design.
    static let serviceRoutes: Set<String> = ["GET /healthz", "GET /metrics", "GET /assets/{file}", "GET /"]

    @Test func everyRouteDeclaresItsAccessAndEachDeclarationHolds() async throws {
        let deps = try await TestApp.dependencies()
        let (router, catalogue) = try buildRouterWithCatalogue(WebConfig(), deps, pages: try await Pages.load())
        let app = application(router, WebConfig(), deps, logger: Self.logger)

        // 1. Every route in the router is declared.
        var routes: [(method: HTTPRequest.Method, path: String, area: RouteCatalogue.Area, access: RouteAccess)] = []
        var undeclared: [String] = []
        for route in router.routes {
            let path = route.path.description
            let key = "\(route.method) \(path)"
            if Self.serviceRoutes.contains(key) { continue }
            let relative: String
            let area: RouteCatalogue.Area
            if path.hasPrefix("/t/{tenant}") {
                relative = String(path.dropFirst("/t/{tenant}".count)).trimmingCharacters(in: ["/"])
                area = relative.hasPrefix("api/") ? .api : .pages
            } else if path == "/ops" || path.hasPrefix("/ops/") {
                relative = String(path.dropFirst("/ops".count)).trimmingCharacters(in: ["/"])
                area = .ops
            } else {
                relative = path.trimmingCharacters(in: ["/"])
                area = relative.hasPrefix("api/") ? .api : .pages
            }
            guard let access = catalogue.access(route.method, relative, in: area) else {
                undeclared.append(key)
                continue
            }
            routes.append((route.method, relative, area, access))
        }
        #expect(undeclared.isEmpty, "routes without a declared access: \(undeclared)")
        #expect(routes.count > 60, "the sweep read the router: \(routes.count) routes")

        let declared = routes
        try await app.test(.router) { client in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            let tenant = council.tenant
            let membership = try #require(
                try await deps.identity.groups.memberships(tenant.scope, userID: council.adminID, logger: Self.logger).first?.id)
            let keys = APIKeyService(database: deps.identity.database)
            let actor = AuditEvent(actorID: council.adminID, actor: "Alex Morgan", action: "")
            func fill(_ path: String) -> String {
                path.replacingOccurrences(of: "{user}", with: council.adminID.uuidString)
                    .replacingOccurrences(of: "{membership}", with: membership.uuidString)
                    .replacingOccurrences(of: #"\{[a-z]+\}"#, with: "BB-2026-000001", options: .regularExpression)
            }
            let anonymous = Browser(client, tenant: tenant)
            try await anonymous.get("/sign-in")
            let deniedBefore = try await AuditLog.recent(
                database: deps.identity.database, scope: tenant.scope, limit: 1_000, logger: Self.logger
            )
            .filter { $0.event.action == "access.denied" }.count
            var expectedDenials = 0

            for route in declared where route.area != .ops {
                let path = "/" + fill(route.path)
                switch (route.area, route.access) {
                case (_, .anyone):
                    continue
                case (.pages, .signedIn), (.pages, .permission):
                    // No session: sent to sign in, whatever the method.
                    let page = route.method == .get ? try await anonymous.get(path) : try await anonymous.post(path)
                    #expect(
                        page.status == .seeOther && page.location?.hasSuffix("/sign-in") == true,
                        "anonymous \(route.method) \(path): \(page.status)")
                    guard case .permission(let permission) = route.access else { continue }
                    // Signed in, but in no group: 403, audited.
                    let refused = route.method == .get ? try await council.other.get(path) : try await council.other.post(path)
                    #expect(refused.status == .forbidden, "\(route.method) \(path) without \(permission): \(refused.status)")
                    expectedDenials += 1
                case (.api, .permission(let permission)):
                    let uri = "/t/\(tenant.slug)" + path
                    let none = try await client.execute(uri: uri, method: route.method)
                    #expect(none.status == .unauthorized, "\(route.method) \(path) with no key: \(none.status)")
                    let other = APIKeyService.grantable.first { $0 != permission } ?? .viewMI
                    let key = try await keys.create(
                        tenant.scope, name: "sweep \(permission.rawValue)", permissions: [other], by: actor, now: Date(),
                        logger: Self.logger
                    ).key
                    var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                    if route.method != .get { headers[.contentType] = "application/json" }
                    let refused = try await client.execute(
                        uri: uri, method: route.method, headers: headers, body: route.method == .get ? nil : ByteBuffer(string: "{}"))
                    #expect(refused.status == .forbidden, "\(route.method) \(path) with a key for \(other.rawValue): \(refused.status)")
                    expectedDenials += 1
                default:
                    Issue.record("unexpected declaration \(route.access) for \(route.area) \(route.path)")
                }
            }
            let deniedAfter = try await AuditLog.recent(
                database: deps.identity.database, scope: tenant.scope, limit: 1_000, logger: Self.logger
            )
            .filter { $0.event.action == "access.denied" }.count
            #expect(deniedAfter - deniedBefore == expectedDenials, "each refusal is in the council's audit trail")

            // Supplier operations: a council administrator's session is worth nothing there.
            let adminCookie = try #require(await council.admin.cookies["kerb_session"])
            for route in declared where route.area == .ops && route.access != .anyone {
                let uri = "/ops" + (route.path.isEmpty ? "" : "/" + fill(route.path))
                var headers: HTTPFields = [.cookie: "kerb_session=\(adminCookie)"]
                if route.method == .post { headers[.contentType] = "application/x-www-form-urlencoded" }
                let response = try await client.execute(
                    uri: uri, method: route.method, headers: headers, body: route.method == .post ? ByteBuffer(string: "csrf=x") : nil)
                // A form post is refused before its handler (no form token bound to an ops session).
                let toSignIn = response.status == .seeOther && response.headers[.location]?.hasPrefix("/ops/sign-in") == true
                #expect(
                    toSignIn || (route.method == .post && response.status == .forbidden),
                    "council admin at \(route.method) \(uri): \(response.status)")
            }
        }
    }
}
