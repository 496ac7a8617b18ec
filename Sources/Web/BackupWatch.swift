import Backups
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Puts each council's backup state in `/metrics` every minute, for the supplier's alerting:
/// `kerb_backup_last_verified_age_seconds{council}` (since its last backup was restored and
/// checked; absent if never) and `kerb_backup_last_check_passed{council}` (1 or 0). The backups
/// themselves are taken by `kerb backup schedule`, which holds the admin login this process
/// does not have.
public struct BackupWatch: Service {
    let deps: WebDependencies
    let interval: Duration
    let logger: Logger

    public init(deps: WebDependencies, interval: Duration = .seconds(60), logger: Logger) {
        self.deps = deps
        self.interval = interval
        self.logger = logger
    }

    /// One reading of every council's state into the gauges; returns how many are overdue.
    @discardableResult
    public func runOnce(now: Date = Date()) async throws -> Int {
        guard let metrics = deps.metrics else { return 0 }
        var overdue = 0
        for status in try await BackupEvidence(database: deps.database).board(logger: logger) {
            let labels = [("council", status.slug)]
            if let verified = status.lastVerifiedAt {
                metrics.makeGauge(
                    descriptor: MetricNameDescriptor(
                        namespace: "kerb", subsystem: "backup", metricName: "last_verified_age", unitName: "seconds",
                        helpText: "Seconds since the council's last backup was restored and checked"), labels: labels
                ).set(now.timeIntervalSince(verified).rounded())
            }
            if let passed = status.lastPassed {
                metrics.makeGauge(
                    descriptor: MetricNameDescriptor(
                        namespace: "kerb", subsystem: "backup", metricName: "last_check_passed", unitName: "",
                        helpText: "Whether the council's last backup check passed (1) or failed (0)"), labels: labels
                ).set(passed ? 1.0 : 0.0)
            }
            if status.isOverdue(now: now) { overdue += 1 }
        }
        metrics.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "kerb", subsystem: "backup", metricName: "overdue", unitName: "councils",
                helpText: "Councils without a verified backup in 36 hours, or whose last check failed")
        ).set(Double(overdue))
        return overdue
    }

    public func run() async throws {
        let interval = self.interval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await runOnce() } catch { logger.error("reading the backups' state failed") }
                guard (try? await Task.sleep(for: interval)) != nil else { return }
            }
        }
    }
}
