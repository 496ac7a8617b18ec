import Communications
import Foundation
import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
import Tenancy

/// Every couple of seconds, for every council: writes the next batches of bulk sends being
/// written (resuming any a crash interrupted), sends the outbox through GOV.UK Notify, and
/// every half minute reads delivery back. Each council is sent through its own Notify service;
/// a council without one keeps its messages queued (the messages page says so). Safe to run in
/// any number of processes: bulk sends and messages are claimed with `SKIP LOCKED`.
public struct OutboxDispatch: Service {
    let deps: WebDependencies
    let wiring: NotifyWiring?
    let dispatcher: Dispatcher?
    let interval: Duration
    let trackEvery: Int
    let logger: Logger

    /// `claim`: how long a claimed message is this process's before another may take it over;
    /// `perMinute`: the sends a minute this process makes per council (Notify allows 3,000 unless
    /// it raised the council's limit).
    public init(
        deps: WebDependencies, wiring: NotifyWiring?, interval: Duration = .seconds(2), trackEvery: Int = 15, claim: TimeInterval = 120,
        perMinute: Int = 2_400, logger: Logger
    ) {
        self.deps = deps
        self.wiring = wiring
        self.dispatcher = wiring.map {
            var dispatcher = Dispatcher(
                database: deps.identity.database, client: $0.client, clock: deps.identity.clock, pace: SendPace(perMinute: perMinute))
            dispatcher.claim = claim
            return dispatcher
        }
        self.interval = interval
        self.trackEvery = trackEvery
        self.logger = logger
    }

    /// One pass over every active council (or just `only`); returns what was sent per council
    /// slug. `track` also reads delivery back. With `quiet`, councils that had nothing to do in
    /// their last three passes are skipped (the service visits them every `trackEvery`th pass,
    /// so 2,000 quiet councils cost two transactions each per half minute, not per two seconds).
    @discardableResult
    public func runOnce(only: [Tenant]? = nil, track: Bool = true, quiet: QuietCouncils? = nil) async throws -> [String: Dispatcher.Report]
    {
        var reports: [String: Dispatcher.Report] = [:]
        var tenants = only ?? []
        if only == nil { tenants = try await deps.tenants.all(logger: logger) }
        for tenant in tenants where tenant.isActive {
            let slug = tenant.slug.description
            if !track, quiet?.isQuiet(slug) == true { continue }
            do {
                let written = try await deps.bulkMail.continue(tenant.scope, logger: logger)
                guard let dispatcher, let service = wiring?.service(tenant) else {
                    quiet?.record(slug, busy: written > 0)
                    continue
                }
                let report = try await dispatcher.dispatch(tenant.scope, service: service, logger: logger)
                quiet?.record(slug, busy: written > 0 || report.claimed > 0)
                if report.claimed > 0 {
                    reports[tenant.slug.description] = report
                    for (outcome, count) in [
                        ("sent", report.sent + report.found), ("retrying", report.retrying), ("failed", report.failed),
                    ]
                    where count > 0 {
                        deps.metrics?.makeCounter(
                            descriptor: MetricNameDescriptor(
                                namespace: "kerb", metricName: "messages", unitName: "total",
                                helpText: "Messages sent through GOV.UK Notify, by outcome"), labels: [("outcome", outcome)]
                        ).increment(by: Int64(count))
                    }
                }
                if track { try await dispatcher.track(tenant.scope, service: service, logger: logger) }
            } catch {
                // One council's failure must not hold up the others' messages.
                logger.error("outbox dispatch failed", metadata: ["kerb.tenant": .string(tenant.slug.description)])
            }
        }
        return reports
    }

    public func run() async throws {
        let interval = self.interval
        let quiet = QuietCouncils()
        await cancelWhenGracefulShutdown {
            var pass = 0
            while !Task.isCancelled {
                _ = try? await runOnce(track: pass % trackEvery == 0, quiet: quiet)
                pass += 1
                guard (try? await Task.sleep(for: interval)) != nil else { return }
            }
        }
    }
}

/// Which councils had nothing to send lately, so the two-second passes can skip them.
public final class QuietCouncils: Sendable {
    private let idle = NIOLockedValueBox<[String: Int]>([:])

    public init() {}

    /// Quiet: nothing to do in the last three passes that visited it.
    func isQuiet(_ slug: String) -> Bool { idle.withLockedValue { $0[slug, default: 0] >= 3 } }

    func record(_ slug: String, busy: Bool) {
        idle.withLockedValue { $0[slug] = busy ? 0 : $0[slug, default: 0] + 1 }
    }
}
