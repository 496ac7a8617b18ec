import Hummingbird
import Logging
import Tenancy

/// Resolves the council a request is for, before any tenant SQL runs.
///
/// A `/t/<slug>/…` path wins; otherwise the Host header: `<slug>.<base domain>` or one of the
/// tenant's own hostnames. The bare base domain, `localhost` and IP addresses mean "no tenant"
/// (the service's own pages, and supplier operations under `/ops`). Unknown → 404, suspended → 503, both thrown as `TenancyError` so
/// the error middleware renders problem+json for the API and a page for HTML.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = KerbRequestContext
    let directory: TenantDirectory
    let baseDomain: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let tenant: Tenant?
        if let slug = context.parameters.get("tenant") {
            tenant = try await directory.tenant(slug: slug, logger: context.logger)
            guard tenant != nil else { throw TenancyError.unknownTenant }
        } else if let host = Self.host(of: request), !isServiceHost(host) {
            tenant = try await directory.tenant(host: host, baseDomain: baseDomain, logger: context.logger)
            guard tenant != nil else { throw TenancyError.unknownTenant }
        } else if request.uri.path == "/ops" || request.uri.path.hasPrefix("/ops/") {
            tenant = SupplierOps.tenant  // the operations team's own space, on the service host only
        } else {
            tenant = nil
        }
        if let tenant {
            guard tenant.isActive else { throw TenancyError.suspended }
            context.tenant = tenant
            context.logger[metadataKey: "kerb.tenant"] = .string(tenant.slug.rawValue)
        }
        return try await next(request, context)
    }

    /// The Host (HTTP/1.1) or :authority (HTTP/2) without its port, lowercased.
    static func host(of request: Request) -> String? {
        guard let authority = request.head.authority, !authority.isEmpty else { return nil }
        if authority.hasPrefix("[") { return authority.lowercased() }  // IPv6 literal: never a tenant
        return String(authority.split(separator: ":", maxSplits: 1)[0]).lowercased()
    }

    private func isServiceHost(_ host: String) -> Bool {
        host == baseDomain || host == "localhost" || host.hasPrefix("[")
            || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}
