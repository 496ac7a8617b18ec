import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Storage
import Web

/// `kerb serve`: the web process. Logs are JSON lines on stdout; metrics at `/metrics`. A fatal
/// signal logs the requests in flight and still ends the process, for the supervisor to restart.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web application and API.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Councils are served at <slug>.<base-domain>.") var baseDomain =
        ProcessInfo.processInfo.environment["KERB_BASE_DOMAIN"] ?? "kerb.localhost"
    /// One pipeline thread per two cores: fewer threads batch more reads per round trip and
    /// switch less (measured on 2 cores: 1 worker beat 2 and 4; see BENCHMARKS.md).
    @Option(help: "Threads in the pipelined tenant read path.") var readWorkers = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"
    @Flag(help: "Run GOV.UK Pay and the national Blue Badge service as local contract fakes (demo and offline use).")
    var demoServices = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
        try await reportingErrors {
            let config = try DatabaseConfig.fromEnvironment(ProcessInfo.processInfo.environment)
            try config.require(.app)
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
            // A crash is logged with the ids of the requests in flight, next to the JSON logs.
            FatalSignalReport.install()
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let logger = Logger(label: "kerb")
            var deps = try await WebDependencies.live(config, readWorkers: readWorkers, metrics: registry, logger: logger)
            var stopFakes: (@Sendable () async -> Void)?
            if demoServices {
                let (services, stop) = try await ExternalWiring.demo(logger: logger)
                deps.external = services
                stopFakes = stop
            } else {
                deps.external = ExternalWiring.live(environment: ProcessInfo.processInfo.environment)
            }
            let app = try await buildApplication(
                WebConfig(host: host, port: port, baseDomain: baseDomain, scheduledWork: true), deps, logger: logger)
            try await app.runService()
            await stopFakes?()
        }
    }
}
