import Hummingbird
import KerbCore
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

    let opsHostname: Hostname?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let host = try Self.host(of: request)
        let onServiceHost = host.map(isServiceHost) ?? true
        let isOpsPath = request.uri.path == "/ops" || request.uri.path.hasPrefix("/ops/")
        let tenant: Tenant?
        if let slug = context.parameters.get("tenant") {
            // `/t/<slug>/` belongs to the service's own host: under a council's hostname it would
            // let one council's origin serve another's pages (and read its cookies' scripts).
            guard onServiceHost else { throw TenancyError.unknownTenant }
            tenant = try await directory.tenant(slug: slug, logger: context.logger)
            guard tenant != nil else { throw TenancyError.unknownTenant }
        } else if isOpsPath, onServiceHost || (host != nil && host == opsHostname) {
            tenant = SupplierOps.tenant  // the operations team's own space, never on a council's host
        } else if let host, !onServiceHost, host != opsHostname {
            tenant = try await directory.tenant(host: host, baseDomain: baseDomain, logger: context.logger)
            guard tenant != nil, !isOpsPath else { throw TenancyError.unknownTenant }
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

    /// The Host (HTTP/1.1) or :authority (HTTP/2) as a validated host name without its port; nil
    /// when absent or an IPv6 literal (never a council). Anything else is refused with 400 before
    /// any lookup, so the raw header never reaches SQL, a cache key or a log line.
    static func host(of request: Request) throws -> Hostname? {
        guard let authority = request.head.authority, !authority.isEmpty else { return nil }
        if authority.hasPrefix("[") {
            guard authority.utf8.count <= 64, authority.allSatisfy({ $0.isHexDigit || "[]:.".contains($0) }) else {
                throw MalformedRequest.badHost
            }
            return nil
        }
        guard let host = Hostname(authority: authority) else { throw MalformedRequest.badHost }
        return host
    }

    private func isServiceHost(_ host: Hostname) -> Bool {
        host.rawValue == baseDomain || host.rawValue == "localhost" || host.isIPv4
    }
}
