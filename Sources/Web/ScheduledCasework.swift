import Audit
import Casework
import Foundation
import Logging
import Policy
import Prometheus
import ServiceLifecycle
import Tenancy

/// Casework that runs on a clock rather than a click: renewal invitations for badges entering
/// each council's invitation window (local policy's days before expiry), the sweep of document
/// blobs an interrupted upload left without a row, and documents past the council's retention
/// period, and records past theirs (`DocumentRetention`, `RecordRetention`; the dry run is on
/// the retention page), and the watch over who
/// opens what (sealing the record views, flagging unusual behaviour). Every council, every
/// hour; sending is idempotent (once per badge, rows locked with SKIP LOCKED), so two web
/// processes running it at once send each invitation once.
public struct ScheduledCasework: Service {
    let deps: WebDependencies
    let interval: Duration
    let logger: Logger

    public init(deps: WebDependencies, interval: Duration = .seconds(3600), logger: Logger) {
        self.deps = deps
        self.interval = interval
        self.logger = logger
    }

    /// One pass over every active council (or just `only`); returns invitations sent per council slug.
    @discardableResult
    public func runOnce(only: [Tenant]? = nil) async throws -> [String: Int] {
        var sent: [String: Int] = [:]
        var tenants = only ?? []
        if only == nil { tenants = try await deps.tenants.all(logger: logger) }
        for tenant in tenants where tenant.isActive {
            do {
                let actor = try await SystemActor.actor(deps.identity.database, tenant.scope, logger: logger)
                let count = try await deps.badges.inviteRenewals(tenant.scope, as: actor, logger: logger)
                if count > 0 { sent[tenant.slug.description] = count }
                _ = try await deps.documents.sweepOrphans(tenant.scope, logger: logger)
                let policy = try await deps.identity.policies.current(tenant.scope, logger: logger).document
                try await deps.retention.apply(tenant.scope, policy: policy.retention, as: actor, logger: logger)
                try await deps.recordRetention.apply(tenant.scope, policy: policy.retention, as: actor, logger: logger)
                try await watch(tenant, policy.monitoring, as: actor)
            } catch {
                // One council's failure must not stop the others' letters.
                logger.error("scheduled renewal invitations failed", metadata: ["kerb.tenant": .string(tenant.slug.description)])
            }
        }
        if !sent.isEmpty {
            logger.notice("renewal invitations sent", metadata: ["kerb.count": .stringConvertible(sent.values.reduce(0, +))])
        }
        return sent
    }

    /// Seals the record views logged since the last pass into the audit chain, then runs the
    /// unusual-behaviour rules over the last complete hours; each new flag counts in `/metrics`
    /// (`kerb_behaviour_flags_total{rule=…}`) and waits on the administrators' flags page.
    func watch(_ tenant: Tenant, _ monitoring: LocalPolicyDocument.Monitoring, as actor: Actor) async throws {
        let database = deps.identity.database
        let now = deps.identity.clock.now()
        let auditActor = actor.audit("", target: "")
        try await ViewLog.seal(as: auditActor, database: database, scope: tenant.scope, now: now, logger: logger)
        let rules = BehaviourRules(
            viewsPerHourLimit: monitoring.viewsPerHourLimit, usualMultiple: monitoring.usualMultiple,
            minimumViews: monitoring.minimumViews, workdayStartHour: monitoring.workdayStartHour,
            workdayEndHour: monitoring.workdayEndHour)
        let raised = try await BehaviourFlags.evaluate(
            rules, now: now, as: auditActor, database: database, scope: tenant.scope, logger: logger)
        for flag in raised {
            deps.metrics?.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "kerb", metricName: "behaviour_flags", unitName: "total",
                    helpText: "Unusual behaviour flagged to councils' administrators"), labels: [("rule", flag.rule.rawValue)]
            ).increment()
        }
        if !raised.isEmpty {
            logger.notice(
                "unusual behaviour flagged",
                metadata: ["kerb.tenant": .string(tenant.slug.description), "kerb.count": .stringConvertible(raised.count)])
        }
    }

    /// Graceful shutdown cancels the sleeps, which ends the service normally: a CancellationError
    /// thrown from here would fail the service group, and `kerb serve` would exit 1 on every stop
    /// (read as a crash by infra/run and by systemd's Restart=on-failure).
    public func run() async throws {
        let interval = self.interval
        await cancelWhenGracefulShutdown {
            // Let the pool and the directory settle first.
            guard (try? await Task.sleep(for: .seconds(30))) != nil else { return }
            while !Task.isCancelled {
                _ = try? await runOnce()
                guard (try? await Task.sleep(for: interval)) != nil else { return }
            }
        }
    }
}
