import Casework
import Hummingbird
import Identity
import Storage
import Tenancy

/// The context of every request. `tenant` is filled in once, by `TenantMiddleware`, from the Host
/// header or the `/t/:tenant` path segment, never from the body, query string or cookies.
public struct KerbRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var tenant: Tenant?
    /// The TCP peer's address (nil in in-process tests).
    public let peer: String?
    /// The client: the peer, or what a trusted proxy says it forwarded for
    /// (`ClientAddressMiddleware`). Throttling counts by it; record views keep it.
    public var client: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress
        client = peer ?? "unknown"
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
    public let client: String

    public init(context: KerbRequestContext) throws {
        guard let tenant = context.tenant else { throw TenancyError.unknownTenant }
        coreContext = context.coreContext
        self.tenant = tenant
        client = context.client
    }

    /// Pages' forms decode into their types (`request.decode(as:context:)`).
    public var requestDecoder: PageFormDecoder { PageFormDecoder() }

    /// The hidden `csrf` field of this request's forms.
    var csrfToken: String { csrfSecret.map(SessionService.csrfToken(for:)) ?? "" }

    /// Where this council's pages live for this request: `/t/<slug>` when it was reached by
    /// path, empty when by its own hostname. Links on council pages start with it.
    public var basePath: String {
        if tenant.scope == .supplierOps { return "/ops" }
        return parameters.get("tenant") == nil ? "" : "/t/\(tenant.slug)"
    }
}

/// What every council page and operation reads from its context, whichever stage the request
/// has reached, so layouts, guards and forms serve both contexts below.
protocol CouncilRequestContext: RequestContext {
    var tenant: Tenant { get }
    /// The signed-in person or API key, if any.
    var currentUser: SignedInUser? { get }
    var basePath: String { get }
    var csrfToken: String { get }
    /// The client's address (`ClientAddressMiddleware`).
    var client: String { get }
}

extension TenantRequestContext: CouncilRequestContext {
    var currentUser: SignedInUser? { user }
}

/// The context of a route that declares a permission (`DeclaredRoutes`): created only once a
/// fully signed-in person (or an API key) is present, so `user` is not optional and a handler
/// taking this context cannot run for anyone else. Someone not signed in is sent to sign in;
/// someone whose password has expired, to change it. The declared permission is checked next,
/// before the handler, and the use case decides again on the record itself.
struct SignedInRequestContext: ChildRequestContext, CouncilRequestContext {
    var coreContext: CoreRequestContextStorage
    let tenant: Tenant
    let user: SignedInUser
    let csrfSecret: String?
    let client: String
    let basePath: String

    init(context: TenantRequestContext) throws {
        guard let user = context.user, user.stage == .complete else { throw Redirect(to: context.basePath + "/sign-in") }
        if user.passwordExpired { throw Redirect(to: context.basePath + "/account/password") }
        coreContext = context.coreContext
        tenant = context.tenant
        self.user = user
        csrfSecret = context.csrfSecret
        client = context.client
        basePath = context.basePath
    }

    var currentUser: SignedInUser? { user }

    var csrfToken: String { csrfSecret.map(SessionService.csrfToken(for:)) ?? "" }

    /// The acting identity of this request's use cases.
    var actor: Actor { user.actor(self) }

    /// Pages' forms decode into their types (`request.decode(as:context:)`); the API decodes
    /// through its generated code instead.
    var requestDecoder: PageFormDecoder { PageFormDecoder() }
}
