import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Web

/// The web application under test, over the test cluster: the same `WebDependencies.live` and
/// `buildApplication` as `kerb serve`, with one read worker and cheap password hashing.
public enum TestApp {
    public static let logger = Logger(label: "test")

    /// The live services over the test cluster (control plane prepared first). Their database
    /// clients run as the application's services, so use them inside a `withApp` body, or run
    /// `deps.database.pool` yourself.
    public static func dependencies(
        metrics: PrometheusCollectorRegistry? = nil, external: ExternalServices = .none, logger: Logger = TestApp.logger
    ) async throws -> WebDependencies {
        _ = try await TestDatabase.prepared()
        return try await WebDependencies.live(
            TestDatabase.config, vault: TestDatabase.vault, readWorkers: 1, metrics: metrics, passwordParameters: TestDatabase.fastHashing,
            external: external,
            logger: logger)
    }
}

/// Runs `test` against the whole application over the test cluster, through the router (or over
/// real HTTP with `.live`), with the services it was built from for direct checks.
///
/// - Parameters:
///   - config: the web configuration (metrics token, host and port for `.live`, …).
///   - setup: `.router` (in process) or `.live` (a real socket on `config.host`, port 0 for any).
///   - external: GOV.UK Pay and the national service per council (see `withExternalFakes`).
///   - metrics: a registry, for tests that read `/metrics`.
///   - routes: extra routes for the test, added after Kerb's own.
public func withApp(
    _ config: WebConfig = WebConfig(), over setup: TestingSetup = .router, external: ExternalServices = .none,
    metrics: PrometheusCollectorRegistry? = nil, logger: Logger = TestApp.logger,
    routes: (Router<KerbRequestContext>, WebDependencies) throws -> Void = { _, _ in },
    _ test: @escaping @Sendable (any TestClientProtocol, WebDependencies) async throws -> Void
) async throws {
    let deps = try await TestApp.dependencies(metrics: metrics, external: external)
    let app = try await buildApplication(config, deps, logger: logger) { router in try routes(router, deps) }
    try await app.test(setup) { client in try await test(client, deps) }
}
