import Backups
import Communications
import Hummingbird
import Identity
import Tenancy

/// Every route of a council's site, mounted twice by `buildRouter` (under the council's
/// hostname and under `/t/<slug>/`). The JSON API sits outside the session middleware: it will
/// take API keys, never cookies, so it needs no CSRF check. Pages sit inside it.
struct CouncilRoutes: Sendable {
    let home: TenantHomeController
    let signIn: SignInController
    let passwordReset: PasswordResetController
    let account: AccountController
    let users: AdminUsersController
    let groups: AdminGroupsController
    let policy: AdminPolicyController
    let retention: AdminRetentionController
    let flags: AdminFlagsController
    let backups: AdminBackupsController
    let audit: AuditController
    let casework: CaseworkController
    let enforcement: EnforcementController
    let mi: ManagementInformationController
    let templates: AdminTemplatesController
    let messages: MessagesController
    let api: ProfileAPIController
    let openAPI = OpenAPIController()
    let caseworkAPI: CaseworkAPI
    /// Each API operation's permission, as the API document declares it.
    let apiOperations: APIOperations
    let apiKeys: AdminAPIKeysController
    let apiKeyMiddleware: APIKeyMiddleware
    let session: SessionMiddleware
    let access: AccessGuard
    let pages: Pages
    /// Every route registered here with its declared access (read by the access sweep).
    let catalogue = RouteCatalogue()

    init(config: WebConfig, deps: WebDependencies, pages: Pages, profiles: ProfileReader) throws {
        let identity = deps.identity
        let access = AccessGuard(database: identity.database)
        self.access = access
        self.pages = pages
        let cookies = SessionCookies(secure: config.secureCookies)
        home = TenantHomeController(pages: pages, profiles: profiles)
        let throttle = ClientThrottle(metrics: deps.metrics)
        signIn = SignInController(identity: identity, pages: pages, cookies: cookies, throttle: throttle)
        passwordReset = PasswordResetController(
            identity: identity, outbox: deps.cases.outbox, pages: pages, throttle: throttle, publicBaseURL: config.publicBaseURL)
        account = AccountController(identity: identity, access: access, pages: pages, cookies: cookies)
        users = AdminUsersController(identity: identity, access: access, pages: pages, publicBaseURL: config.publicBaseURL)
        groups = AdminGroupsController(identity: identity, access: access, pages: pages)
        policy = AdminPolicyController(identity: identity, access: access, pages: pages)
        audit = AuditController(identity: identity, access: access, pages: pages)
        retention = AdminRetentionController(identity: identity, retention: deps.retention, records: deps.recordRetention, pages: pages)
        flags = AdminFlagsController(identity: identity, pages: pages)
        backups = AdminBackupsController(evidence: BackupEvidence(database: deps.database), pages: pages)
        let badges = BadgesController(
            identity: identity, cases: deps.cases, badges: deps.badges, fees: deps.fees, external: deps.external, access: access,
            pages: pages, publicBaseURL: config.publicBaseURL)
        casework = CaseworkController(
            identity: identity, cases: deps.cases, badges: badges, documents: deps.documents, subjectAccessArchives: deps.subjectAccess,
            erasure: deps.erasure,
            access: access, pages: pages)
        enforcement = EnforcementController(
            enforcement: deps.enforcement, documents: deps.enforcementDocuments, external: deps.external, access: access, pages: pages)
        mi = ManagementInformationController(identity: identity, cases: deps.cases, access: access, pages: pages)
        templates = AdminTemplatesController(
            templates: MessageTemplates(database: identity.database, wording: deps.cases.outbox.wording), cases: deps.cases,
            access: access, pages: pages)
        messages = MessagesController(deps: deps, pages: pages)
        api = ProfileAPIController(profiles: profiles)
        caseworkAPI = CaseworkAPI(
            identity: identity, cases: deps.cases, badges: badges, enforcement: deps.enforcement, documents: deps.documents)
        apiOperations = try APIOperations.load()
        let keys = APIKeyService(database: identity.database)
        apiKeys = AdminAPIKeysController(keys: keys, access: access, pages: pages, clock: identity.clock)
        apiKeyMiddleware = APIKeyMiddleware(keys: keys, clock: identity.clock)
        session = SessionMiddleware(sessions: identity.sessions, cookies: cookies, clock: identity.clock)
    }

    func addRoutes(to group: RouterGroup<TenantRequestContext>, includingHome: Bool) throws {
        let open = DeclaredRoutes(group: group, catalogue: catalogue, area: .api, guardian: access)
        api.addRoutes(to: open)
        openAPI.addRoutes(to: open)
        let apiRoutes = DeclaredRoutes(
            group: group.group("api/v1").add(middleware: apiKeyMiddleware), catalogue: catalogue, area: .api, guardian: access,
            prefix: "api/v1")
        // Outputs are compact JSON on one line. Keys are not sorted: clients read JSON by name, and
        // sorting cost about 5 % of the API read's CPU in the profile (BENCHMARKS.md).
        try caseworkAPI.registerHandlers(
            on: APITransport(routes: apiRoutes, operations: apiOperations), configuration: .init(jsonEncodingOptions: []))
        let pages = DeclaredRoutes(
            group: group.group().add(middleware: PrivatePageMiddleware()).add(middleware: session), catalogue: catalogue, area: .pages,
            guardian: access)
        if includingHome { home.addRoutes(to: pages) }
        signIn.addRoutes(to: pages)
        passwordReset.addRoutes(to: pages)
        account.addRoutes(to: pages)
        users.addRoutes(to: pages)
        groups.addRoutes(to: pages)
        apiKeys.addRoutes(to: pages)
        policy.addRoutes(to: pages)
        audit.addRoutes(to: pages)
        retention.addRoutes(to: pages)
        flags.addRoutes(to: pages)
        backups.addRoutes(to: pages)
        casework.addRoutes(to: pages)
        enforcement.addRoutes(to: pages)
        mi.addRoutes(to: pages)
        templates.addRoutes(to: pages)
        messages.addRoutes(to: pages)
    }

    /// Supplier operations at `/ops` on the service host: the same sign-in, 2FA and account pages
    /// over `kerb_ops`, and the list of councils. No council administration is mounted here.
    func addSupplierOpsRoutes(to group: RouterGroup<TenantRequestContext>, tenants: TenantDirectory) {
        let pages = DeclaredRoutes(
            group: group.group().add(middleware: PrivatePageMiddleware()).add(middleware: session), catalogue: catalogue, area: .ops,
            guardian: access)
        OpsTenantsController(tenants: tenants, backups: backups.evidence, access: access, pages: self.pages).addRoutes(to: pages)
        signIn.addRoutes(to: pages)
        account.addRoutes(to: pages)
    }

    /// The start page reached by hostname (`/`), which the service router owns: run it through
    /// the same middleware as the council's other pages.
    func homeByHost(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        try await PrivatePageMiddleware().handle(request, context: context) { request, context in
            try await session.handle(request, context: context) { request, context in try await home.home(request, context) }
        }
    }
}

/// Council pages carry personal data: never cached, never leaked in a Referer.
struct PrivatePageMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
