import Hummingbird
import Identity
import Storage
import Tenancy

/// The context of every request. `tenant` is filled in once, by `TenantMiddleware`, from the Host
/// header or the `/t/:tenant` path segment, never from the body, query string or cookies.
public struct KerbRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var tenant: Tenant?
    /// The TCP peer's address (nil in in-process tests): the client for per-client throttling.
    public let peer: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress
    }
}

/// The context of a route that belongs to one council: the tenant is no longer optional, so a
/// handler taking this context cannot run without one (no tenant → 404 before the handler).
public struct TenantRequestContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let tenant: Tenant
    /// Set by `SessionMiddleware` from the session cookie; nil for anonymous requests.
    public var user: SignedInUser?
    /// The cookie value forms are bound to (the session token, or the anonymous form token);
    /// the CSRF token on every form is an HMAC of it.
    var csrfSecret: String?
    public let peer: String?

    public init(context: KerbRequestContext) throws {
        guard let tenant = context.tenant else { throw TenancyError.unknownTenant }
        coreContext = context.coreContext
        self.tenant = tenant
        peer = context.peer
    }

    /// The hidden `csrf` field of this request's forms.
    var csrfToken: String { csrfSecret.map(SessionService.csrfToken(for:)) ?? "" }

    /// Where this council's pages live for this request: `/t/<slug>` when it was reached by
    /// path, empty when by its own hostname. Links on council pages start with it.
    public var basePath: String {
        if tenant.scope == .supplierOps { return "/ops" }
        return parameters.get("tenant") == nil ? "" : "/t/\(tenant.slug)"
    }
}
