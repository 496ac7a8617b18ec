import ArgumentParser
import Documents
import Foundation
import Hummingbird
import KerbCore
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
    @Option(help: "Where people reach Kerb (https://host[:port]); the origin of every link Kerb sends. Default http://localhost:<port>.")
    var publicBaseURL = ProcessInfo.processInfo.environment["KERB_PUBLIC_BASE_URL"] ?? ""
    @Option(help: "A host name that also serves supplier operations (/ops).") var opsHostname =
        ProcessInfo.processInfo.environment["KERB_OPS_HOSTNAME"] ?? ""
    @Option(help: "Comma-separated peer addresses whose X-Forwarded-For is trusted (your load balancers).")
    var trustedProxies = ProcessInfo.processInfo.environment["KERB_TRUSTED_PROXIES"] ?? ""
    /// Gone from the production binary: the fakes are `kerb-demo fakes` (see `infra/run`).
    @Flag(help: .hidden) var demoServices = false

    func run() async throws {
        if demoServices {
            FileHandle.standardError.write(
                Data(
                    ("kerb: --demo-services is not in the production binary; run `kerb-demo fakes --secrets-dir DIR --env-file FILE`, "
                        + "source FILE and serve without it (infra/run does)\n").utf8))
            throw ExitCode(2)
        }
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
        let base = try (publicBaseURL.isEmpty ? nil : publicBaseURL).map {
            guard let url = PublicBaseURL($0) else { throw ValidationError("--public-base-url must be http(s)://host[:port]") }
            return url
        }
        let ops = try (opsHostname.isEmpty ? nil : opsHostname).map {
            guard let name = Hostname($0) else { throw ValidationError("--ops-hostname must be a host name") }
            return name
        }
        guard Hostname(baseDomain) != nil else { throw ValidationError("--base-domain must be a host name") }
        let proxies = Set(trustedProxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        // Metrics are read with a bearer token from the environment (never a flag: `ps` shows flags).
        let metricsToken = ProcessInfo.processInfo.environment["KERB_METRICS_TOKEN"]
        try await reportingErrors {
            let config = try DatabaseConfig.fromEnvironment(ProcessInfo.processInfo.environment)
            try config.require(.app)
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
            // A crash is logged with the ids of the requests in flight, next to the JSON logs.
            FatalSignalReport.install()
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let logger = Logger(label: "kerb")
            var deps = try await WebDependencies.live(
                config, vault: try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment), readWorkers: readWorkers,
                metrics: registry, logger: logger)
            deps.external = ExternalWiring.live(environment: ProcessInfo.processInfo.environment)
            let app = try await buildApplication(
                WebConfig(
                    host: host, port: port, baseDomain: baseDomain, scheduledWork: true, publicBaseURL: base, opsHostname: ops,
                    metricsToken: metricsToken, trustedProxies: proxies), deps, logger: logger)
            try await app.runService()
        }
    }
}
