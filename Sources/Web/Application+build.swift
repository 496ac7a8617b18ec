import Foundation
import Hummingbird
import Logging
import PostgresNIO
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

    public init(host: String = "127.0.0.1", port: Int = 8080, baseDomain: String = "kerb.localhost") {
        self.host = host
        self.port = port
        self.baseDomain = baseDomain.lowercased()
    }
}

/// The long-lived parts the web process is built from; tests build the same with a test cluster.
public struct WebDependencies: Sendable {
    public let database: PostgresClient
    public let tenants: TenantDirectory
    public let reads: TenantReadPipeline
    public let metrics: PrometheusCollectorRegistry?

    public init(database: PostgresClient, tenants: TenantDirectory, reads: TenantReadPipeline, metrics: PrometheusCollectorRegistry?) {
        self.database = database
        self.tenants = tenants
        self.reads = reads
        self.metrics = metrics
    }

    /// The live wiring: one PostgresNIO pool and one read pipeline as `kerb_app`.
    public static func live(_ config: DatabaseConfig, readWorkers: Int, metrics: PrometheusCollectorRegistry?, logger: Logger)
        -> WebDependencies
    {
        let client = PostgresClient(config, login: .app, maxConnections: config.maxConnections, logger: logger)
        return WebDependencies(
            database: client, tenants: TenantDirectory(client: client),
            reads: TenantReadPipeline(config: config, workers: readWorkers, statements: ProfileReader.statements),
            metrics: metrics)
    }
}

/// Builds the router: service routes first, then the tenant middleware, then every council route
/// twice — under the council's hostname and under `/t/:tenant`.
public func buildRouter(_ config: WebConfig, _ deps: WebDependencies, pages: Pages) throws -> Router<KerbRequestContext> {
    let router = Router(context: KerbRequestContext.self)
    router.addMiddleware {
        LogRequestsMiddleware(.info)
        MetricsMiddleware()
        ErrorMiddleware(pages: pages)
        ContentSecurityMiddleware()
    }
    ServiceController(database: deps.database, metrics: deps.metrics, assets: try StaticAssets.load()).addRoutes(to: router)

    router.addMiddleware { TenantMiddleware(directory: deps.tenants, baseDomain: config.baseDomain) }
    let profiles = ProfileReader(pipeline: deps.reads)
    let home = TenantHomeController(pages: pages, profiles: profiles)
    router.get("/") { request, context in
        guard context.tenant != nil else {
            return try pages.render("home", ServiceHomePage(requestID: context.id))
        }
        return try await home.home(request, try TenantRequestContext(context: context))
    }
    let byHost = router.group(context: TenantRequestContext.self)
    ProfileAPIController(profiles: profiles).addRoutes(to: byHost)
    let byPath = router.group("t/:tenant", context: TenantRequestContext.self)
    home.addRoutes(to: byPath)
    ProfileAPIController(profiles: profiles).addRoutes(to: byPath)
    return router
}

/// The whole web application with its services (database pool, read pipeline).
public func buildApplication(
    _ config: WebConfig, _ deps: WebDependencies, logger: Logger,
    configure: (Router<KerbRequestContext>) -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let pages = try await Pages.load()
    let router = try buildRouter(config, deps, pages: pages)
    configure(router)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "kerb"),
        logger: logger)
    app.addServices(deps.database, ReadPipelineService(pipeline: deps.reads))
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
