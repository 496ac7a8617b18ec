import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Policy

/// Who may call a route: declared where the route is registered, checked before its handler
/// runs, and read by the access sweep (`AccessSweepTests`), which fails for any route in the
/// router that has no declaration.
public enum RouteAccess: Sendable, Hashable, CustomStringConvertible {
    /// Anyone, signed in or not: sign-in, set-up, the start page.
    case anyone
    /// Any fully signed-in person (their own account pages).
    case signedIn
    /// A person (or API key) whose access groups grant this permission; the policy engine
    /// decides, and a refusal is audited and answered 403.
    case permission(Permission)

    public var description: String {
        switch self {
        case .anyone: "anyone"
        case .signedIn: "signed in"
        case .permission(let permission): permission.rawValue
        }
    }
}

/// Every council route with its declared access, as registered (`GET cases/{reference}`).
final class RouteCatalogue: Sendable {
    struct Entry: Sendable, Hashable {
        let method: HTTPRequest.Method
        /// Relative to the council (or `/ops`), with parameters as `{name}` like the router's.
        let path: String
        let area: Area
        let access: RouteAccess
    }

    /// Pages (session cookie), the JSON API (API key), or supplier operations.
    enum Area: String, Sendable, Hashable { case pages, api, ops }

    private let entries = NIOLockedValueBox(Set<Entry>())

    func record(_ entry: Entry) { _ = entries.withLockedValue { $0.insert(entry) } }

    var all: [Entry] { entries.withLockedValue { Array($0) } }

    /// The declaration for a route of `area`, if it has one.
    func access(_ method: HTTPRequest.Method, _ path: String, in area: Area) -> RouteAccess? {
        entries.withLockedValue { entries in entries.first { $0.method == method && $0.path == path && $0.area == area }?.access }
    }
}

/// A route group that cannot register a route without its access rule: each route is recorded
/// in the catalogue, and its handler runs only once `AccessGuard` allows the request. A route
/// that declares a permission gets a `SignedInRequestContext` (a child context that exists only
/// with a signed-in person or API key), so its handler cannot be written for anyone else.
struct DeclaredRoutes {
    typealias Handler = @Sendable (Request, TenantRequestContext) async throws -> Response
    typealias SignedInHandler = @Sendable (Request, SignedInRequestContext) async throws -> Response

    /// Routes open to anyone, or to any signed-in person on their own account (even with an
    /// expired password, so they can change it).
    enum Open: Sendable { case anyone, signedIn }

    let group: RouterGroup<TenantRequestContext>
    let catalogue: RouteCatalogue
    let area: RouteCatalogue.Area
    let guardian: AccessGuard
    /// The group's own path below the council (`api/v1`), for the catalogue.
    var prefix: String = ""

    private func record(_ path: String, _ method: HTTPRequest.Method, _ access: RouteAccess) {
        let normalised = (prefix.split(separator: "/") + path.split(separator: "/"))
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        catalogue.record(.init(method: method, path: normalised, area: area, access: access))
    }

    func on(_ path: String, method: HTTPRequest.Method, _ access: Open, use handler: @escaping Handler) {
        let guardian = self.guardian
        switch access {
        case .anyone:
            record(path, method, .anyone)
            group.on(RouterPath(path), method: method, use: handler)
        case .signedIn:
            record(path, method, .signedIn)
            group.on(RouterPath(path), method: method) { request, context in
                _ = try guardian.signedIn(context, allowingExpiredPassword: true)
                return try await handler(request, context)
            }
        }
    }

    func on(_ path: String, method: HTTPRequest.Method, _ permission: Permission, use handler: @escaping SignedInHandler) {
        record(path, method, .permission(permission))
        let guardian = self.guardian
        group.group(context: SignedInRequestContext.self).on(RouterPath(path), method: method) { request, context in
            try await guardian.require(permission, context)
            return try await handler(request, context)
        }
    }

    /// A group holding one route that code generated from the API document registers itself
    /// (`APITransport`): recorded with its permission, which is checked before the route runs.
    func operation(_ path: String, method: HTTPRequest.Method, _ permission: Permission) -> RouterGroup<SignedInRequestContext> {
        record(path, method, .permission(permission))
        return group.group(context: SignedInRequestContext.self).add(
            middleware: PermissionMiddleware(permission: permission, guardian: guardian))
    }

    func get(_ path: String = "", _ access: Open, use handler: @escaping Handler) {
        on(path, method: .get, access, use: handler)
    }

    func post(_ path: String, _ access: Open, use handler: @escaping Handler) {
        on(path, method: .post, access, use: handler)
    }

    func get(_ path: String = "", _ permission: Permission, use handler: @escaping SignedInHandler) {
        on(path, method: .get, permission, use: handler)
    }

    func post(_ path: String, _ permission: Permission, use handler: @escaping SignedInHandler) {
        on(path, method: .post, permission, use: handler)
    }
}

/// The declared permission of a generated route, checked before it runs (`DeclaredRoutes.operation`).
struct PermissionMiddleware: RouterMiddleware {
    typealias Context = SignedInRequestContext
    let permission: Permission
    let guardian: AccessGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await guardian.require(permission, context)
        return try await next(request, context)
    }
}
