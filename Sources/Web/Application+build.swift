import Casework
import Communications
import Documents
import Enforcement
import Foundation
import Hummingbird
import Identity
import KerbCore
import Keys
import Logging
import NIOPosix
import Policy
import Prometheus
import ServiceLifecycle
import Storage
import Tenancy

/// What the web process listens on and how it recognises councils' hostnames.
public struct WebConfig: Sendable {
    public var host: String
    public var port: Int
    /// Councils are served at `<slug>.<baseDomain>`; the bare domain is the service's own site.
    public var baseDomain: String
    /// Cookies carry `Secure`. Browsers honour it on http://localhost and *.localhost, so only
    /// a plain-HTTP deployment on another name would turn it off.
    public var secureCookies: Bool
    /// Run scheduled casework (renewal invitations) in this process: `kerb serve`, not tests.
    public var scheduledWork: Bool
    /// Where people reach the service, e.g. `https://bluebadge.example`: the origin of every link
    /// Kerb sends out (set-up links, GOV.UK Pay return URLs). Never taken from the Host header or
    /// `X-Forwarded-*`, which a client controls.
    public var publicBaseURL: PublicBaseURL
    /// A second host name that serves supplier operations (`/ops`), besides the service host.
    public var opsHostname: Hostname?
    /// `/metrics` answers only to `Authorization: Bearer <token>`; without a token it is off (404).
    public var metricsToken: String?
    /// Peers whose `X-Forwarded-For` is believed (a load balancer on a known address); from
    /// anyone else the header is ignored, so a client cannot pick its own throttling bucket.
    public var trustedProxies: Set<String>

    public init(
        host: String = "127.0.0.1", port: Int = 8080, baseDomain: String = "kerb.localhost", secureCookies: Bool = true,
        scheduledWork: Bool = false, publicBaseURL: PublicBaseURL? = nil, opsHostname: Hostname? = nil, metricsToken: String? = nil,
        trustedProxies: Set<String> = []
    ) {
        self.scheduledWork = scheduledWork
        self.publicBaseURL = publicBaseURL ?? PublicBaseURL.localhost(port: port)
        self.opsHostname = opsHostname
        self.metricsToken = metricsToken.flatMap { $0.isEmpty ? nil : $0 }
        self.trustedProxies = trustedProxies
        self.host = host
        self.port = port
        self.baseDomain = baseDomain.lowercased()
        self.secureCookies = secureCookies
    }
}

/// The long-lived parts the web process is built from; tests build the same with a test cluster.
public struct WebDependencies: Sendable {
    /// The application's pool and read pipeline (`kerb_app`), through which every council's
    /// work runs confined to its schema.
    public let database: TenantDatabase
    public let tenants: TenantDirectory
    public let reads: TenantReadPipeline
    public let identity: IdentityServices
    public let cases: CaseService
    public let badges: BadgeService
    public let fees: FeePayments
    public let enforcement: EnforcementService
    /// Councils' data keys (sealed secrets, document keys), under the master key.
    public let keys: KeyRing
    /// Uploading and opening cases' documents.
    public let documents: CaseDocuments
    /// Uploading and opening enforcement cases' photographs and files.
    public let enforcementDocuments: EnforcementDocuments
    /// An applicant's subject access archive.
    public let subjectAccess: SubjectAccess
    /// Documents past the council's retention period: the dry run and the removal.
    public let retention: DocumentRetention
    /// Records past their retention periods: the dry run and the anonymisation.
    public let recordRetention: RecordRetention
    /// Erasing an applicant's record on request.
    public let erasure: Erasure
    /// Mail merges to a selection of people.
    public let bulkMail: BulkMail
    /// Connections to GOV.UK Pay and the national Blue Badge service, per council.
    public var external: ExternalServices
    public let metrics: PrometheusCollectorRegistry?

    public init(
        database: TenantDatabase, tenants: TenantDirectory, reads: TenantReadPipeline, identity: IdentityServices, outbox: Outbox,
        blobs: any BlobStore, external: ExternalServices, metrics: PrometheusCollectorRegistry?
    ) {
        let clock = identity.clock
        self.database = database
        self.tenants = tenants
        self.reads = reads
        self.identity = identity
        let tenantDatabase = identity.database
        cases = CaseService(database: tenantDatabase, outbox: outbox, clock: clock)
        badges = BadgeService(database: tenantDatabase, outbox: outbox, clock: clock)
        fees = FeePayments(database: tenantDatabase, outbox: outbox, clock: clock)
        enforcement = EnforcementService(database: tenantDatabase, badges: badges, clock: clock)
        keys = identity.accounts.keys
        let vault = DocumentVault(keys: keys, store: blobs)
        documents = CaseDocuments(cases: cases, vault: vault)
        enforcementDocuments = EnforcementDocuments(enforcement: enforcement, vault: vault)
        subjectAccess = SubjectAccess(cases: cases, vault: vault)
        retention = DocumentRetention(cases: cases, vault: vault)
        recordRetention = RecordRetention(cases: cases, vault: vault)
        erasure = Erasure(cases: cases, vault: vault)
        bulkMail = BulkMail(cases: cases)
        self.external = external
        self.metrics = metrics
    }

    /// The live wiring: one PostgresNIO pool and one read pipeline (the profile read, the
    /// session and API-key checks, and the case file) as `kerb_app`, and a thread
    /// pool for Argon2id, so a burst of sign-ins queues there and never on the event loops.
    /// `passwordParameters` is lowered only by tests.
    public static func live(
        _ config: DatabaseConfig, vault: VaultSettings, readWorkers: Int, metrics: PrometheusCollectorRegistry?,
        passwordParameters: Argon2id.Parameters = .owasp, external: ExternalServices = .none, clock: WallClock = .system, logger: Logger
    ) async throws -> WebDependencies {
        let hashing = NIOThreadPool(numberOfThreads: WebDependencies.hashingThreads)
        hashing.start()
        // The session and API-key checks of every request, and the case file, go through the pipeline too.
        let reads = TenantReadPipeline(
            config: config, workers: readWorkers,
            statements: ProfileReader.statements + SessionService.pipelineStatements + CaseService.pipelineStatements)
        let database = TenantDatabase.application(config, reads: reads, logger: logger)
        let identity = try await IdentityServices(
            database: database, hasher: PasswordHasher(pool: hashing, parameters: passwordParameters), hashingThreads: hashing,
            keys: KeyRing(master: vault.master, database: database), clock: clock)
        return WebDependencies(
            database: database, tenants: TenantDirectory(database: database), reads: reads,
            identity: identity, outbox: try Outbox.bundled(), blobs: vault.blobs, external: external, metrics: metrics)
    }
}

extension WebDependencies {
    /// One Argon2id thread per core, at nice 19 (`PasswordHasher`). Measured on 2 cores during a
    /// flat-out sign-in storm: 2 threads kept reads at 0.79× and signed in 63/s alone; 1 thread
    /// kept reads at only 0.70× with 40/s (the cost is memory traffic more than CPU time).
    public static let hashingThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
}

/// The identity and policy services council pages use, over one tenant database.
public struct IdentityServices: Sendable {
    public let database: TenantDatabase
    public let accounts: AccountService
    public let sessions: SessionService
    public let groups: AccessGroupService
    public let users: UserDirectory
    public let policies: LocalPolicyStore
    /// The time every identity step and page reads (tests move it; `kerb serve` reads the system's).
    public let clock: WallClock
    let hashingThreads: NIOThreadPool

    init(database: TenantDatabase, hasher: PasswordHasher, hashingThreads: NIOThreadPool, keys: KeyRing, clock: WallClock) async throws {
        self.database = database
        self.clock = clock
        accounts = try await AccountService(database: database, hasher: hasher, rules: try PasswordRules.bundled(), keys: keys)
        sessions = SessionService(database: database)
        groups = AccessGroupService(database: database)
        users = UserDirectory(database: database, outbox: try Outbox.bundled())
        policies = LocalPolicyStore(database: database)
        self.hashingThreads = hashingThreads
    }
}

/// Builds the router: service routes first, then the tenant middleware, then every council route
/// twice — under the council's hostname and under `/t/:tenant`.
public func buildRouter(_ config: WebConfig, _ deps: WebDependencies, pages: Pages) throws -> Router<KerbRequestContext> {
    try buildRouterWithCatalogue(config, deps, pages: pages).router
}

/// The router and the declared access of every council and supplier-operations route in it.
func buildRouterWithCatalogue(_ config: WebConfig, _ deps: WebDependencies, pages: Pages) throws -> (
    router: Router<KerbRequestContext>, catalogue: RouteCatalogue
) {
    let router = Router(context: KerbRequestContext.self)
    router.addMiddleware {
        InFlightRequestMiddleware(registry: .shared)
        RequestLogMiddleware()
        ClientAddressMiddleware(trustedProxies: config.trustedProxies)
        MetricsMiddleware()
        // Outside the error middleware, so error pages and problems carry these headers too.
        ContentSecurityMiddleware(contentSecurityPolicy: [
            .defaultSrc(.self), .imgSrc(.self, .scheme(.init(rawValue: "data:"))), .formAction(.self), .frameAncestors(.none),
        ])
        StrictTransportMiddleware(enabled: config.secureCookies)
        ErrorMiddleware(pages: pages)
    }
    ServiceController(database: deps.database, metrics: deps.metrics, metricsToken: config.metricsToken, assets: try StaticAssets.load())
        .addRoutes(to: router)

    router.addMiddleware {
        TenantMiddleware(directory: deps.tenants, baseDomain: config.baseDomain, opsHostname: config.opsHostname)
    }
    let profiles = ProfileReader(pipeline: deps.reads)
    let council = try CouncilRoutes(config: config, deps: deps, pages: pages, profiles: profiles)
    router.get("/") { request, context in
        guard context.tenant != nil else {
            return try pages.render("home", ServiceHomePage(layout: Layout(homeHref: "/", requestID: context.id)))
        }
        // The council's start page by hostname: through the same session middleware as the rest.
        return try await council.homeByHost(request, try TenantRequestContext(context: context))
    }
    let byHost = router.group(context: TenantRequestContext.self)
    try council.addRoutes(to: byHost, includingHome: false)
    let byPath = router.group("t/:tenant", context: TenantRequestContext.self)
    try council.addRoutes(to: byPath, includingHome: true)
    council.addSupplierOpsRoutes(to: router.group("ops", context: TenantRequestContext.self), tenants: deps.tenants)
    return (router, council.catalogue)
}

/// The whole web application with its services (database pool, read pipeline).
public func buildApplication(
    _ config: WebConfig, _ deps: WebDependencies, logger: Logger,
    configure: (Router<KerbRequestContext>) throws -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let pages = try await Pages.load()
    let router = try buildRouter(config, deps, pages: pages)
    try configure(router)
    return application(router, config, deps, logger: logger)
}

/// An application serving `router` with the services it needs running (database pool, read
/// pipeline, hashing threads, and scheduled casework when configured).
func application(
    _ router: Router<KerbRequestContext>, _ config: WebConfig, _ deps: WebDependencies, logger: Logger
) -> some ApplicationProtocol {
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "kerb"),
        logger: logger)
    app.addServices(deps.database.pool, ReadPipelineService(pipeline: deps.reads), ThreadPoolService(pool: deps.identity.hashingThreads))
    if config.scheduledWork {
        app.addServices(
            ScheduledCasework(deps: deps, logger: logger), OutboxDispatch(deps: deps, wiring: deps.external.notify, logger: logger),
            BackupWatch(deps: deps, logger: logger))
    }
    return app
}

/// Runs the read pipeline's worker threads for the life of the application.
struct ReadPipelineService: Service {
    let pipeline: TenantReadPipeline

    func run() async throws {
        try pipeline.start()
        try? await gracefulShutdown()
        pipeline.shutdown()
    }
}

/// Shuts the password-hashing threads down with the application.
struct ThreadPoolService: Service {
    let pool: NIOThreadPool

    func run() async throws {
        try? await gracefulShutdown()
        try await pool.shutdownGracefully()
    }
}
