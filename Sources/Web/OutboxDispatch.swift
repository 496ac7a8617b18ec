import Communications
import Foundation
import Logging
import ServiceLifecycle
import Tenancy

/// Sends every council's outbox through GOV.UK Notify, every couple of seconds, and reads
/// delivery back every half minute. Each council is sent through its own Notify service; a
/// council without one keeps its messages queued (the outbox page says so). Safe to run in any
/// number of processes: the dispatcher claims messages with `SKIP LOCKED` (`Dispatcher`).
public struct OutboxDispatch: Service {
    let deps: WebDependencies
    let wiring: NotifyWiring
    let dispatcher: Dispatcher
    let interval: Duration
    let trackEvery: Int
    let logger: Logger

    public init(deps: WebDependencies, wiring: NotifyWiring, interval: Duration = .seconds(2), trackEvery: Int = 15, logger: Logger) {
        self.deps = deps
        self.wiring = wiring
        self.dispatcher = Dispatcher(database: deps.identity.database, client: wiring.client, clock: deps.identity.clock)
        self.interval = interval
        self.trackEvery = trackEvery
        self.logger = logger
    }

    /// One pass over every active council with Notify set up (or just `only`); returns what was
    /// sent per council slug. `track` also reads delivery back.
    @discardableResult
    public func runOnce(only: [Tenant]? = nil, track: Bool = true) async throws -> [String: Dispatcher.Report] {
        var reports: [String: Dispatcher.Report] = [:]
        var tenants = only ?? []
        if only == nil { tenants = try await deps.tenants.all(logger: logger) }
        for tenant in tenants where tenant.isActive {
            guard let service = wiring.service(tenant) else { continue }
            do {
                let report = try await dispatcher.dispatch(tenant.scope, service: service, logger: logger)
                if report.claimed > 0 {
                    reports[tenant.slug.description] = report
                    for (outcome, count) in [
                        ("sent", report.sent + report.found), ("retrying", report.retrying), ("failed", report.failed),
                    ]
                    where count > 0 {
                        deps.metrics?.makeCounter(
                            name: "kerb_messages_total", labels: [("outcome", outcome)],
                            help: "Messages sent through GOV.UK Notify, by outcome"
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
        await cancelWhenGracefulShutdown {
            var pass = 0
            while !Task.isCancelled {
                _ = try? await runOnce(track: pass % trackEvery == 0)
                pass += 1
                guard (try? await Task.sleep(for: interval)) != nil else { return }
            }
        }
    }
}
