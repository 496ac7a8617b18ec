import Foundation
import Logging
import PostgresNIO
import Storage

/// The figures a manager needs to show the council meets its processing target (seed 001
/// rec 2): cases by status, the share decided within target, and how old the open ones are.
public struct ManagementInformation: Sendable {
    public struct Bucket: Sendable, Equatable {
        public let label: String
        public let count: Int
    }

    public let byStatus: [Bucket]
    public let decided: Int
    public let decidedWithinTarget: Int
    public let ageing: [Bucket]
    public let openReviews: Int
    public let overdueReviews: Int

    /// Percentage decided within target, or nil before any decision.
    public var withinTargetPercent: Double? { decided == 0 ? nil : Double(decidedWithinTarget) * 100 / Double(decided) }
}

extension CaseService {
    public func managementInformation(_ scope: TenantScope, targetDays: Int, logger: Logger) async throws -> ManagementInformation {
        try await database.transaction(scope, logger: logger) { conn in
            var byStatus: [String: Int] = [:]
            for try await (status, count) in try await conn.query(
                "SELECT status, count(*)::int FROM applications GROUP BY status", logger: logger
            ).decode((String, Int).self) { byStatus[status] = count }
            var decided = 0
            var within = 0
            var ageing: [String: Int] = [:]
            for try await (isDecided, elapsed) in try await conn.query(
                """
                SELECT a.decided_at IS NOT NULL, floor(extract(epoch FROM (coalesce(a.decided_at, now()) - a.received_at)
                    - coalesce((SELECT sum(least(coalesce(c.resumed_at, now()), coalesce(a.decided_at, now())) - c.paused_at)
                                FROM clock_pauses c WHERE c.application_id = a.id), interval '0')) / 86400)::int
                FROM applications a WHERE a.received_at IS NOT NULL AND a.status <> 'WITHDRAWN'
                """, logger: logger
            ).decode((Bool, Int).self) {
                if isDecided {
                    decided += 1
                    if elapsed <= targetDays { within += 1 }
                } else {
                    let bucket =
                        elapsed <= 7
                        ? "0–7 days"
                        : elapsed <= 14 ? "8–14 days" : elapsed <= targetDays ? "15–\(targetDays) days" : "Over \(targetDays) days"
                    ageing[bucket, default: 0] += 1
                }
            }
            var reviews = (0, 0)
            for try await row in try await conn.query(
                """
                SELECT count(*) FILTER (WHERE status = 'OPEN')::int,
                       count(*) FILTER (WHERE status = 'OPEN' AND due_on < (now() AT TIME ZONE 'Europe/London')::date)::int
                FROM reviews
                """, logger: logger
            ).decode((Int, Int).self) { reviews = row }
            let statuses = ApplicationStatus.allCases.map {
                ManagementInformation.Bucket(label: $0.label, count: byStatus[$0.rawValue] ?? 0)
            }
            let ageOrder = ["0–7 days", "8–14 days", "15–\(targetDays) days", "Over \(targetDays) days"]
            return ManagementInformation(
                byStatus: statuses, decided: decided, decidedWithinTarget: within,
                ageing: ageOrder.map { .init(label: $0, count: ageing[$0] ?? 0) }, openReviews: reviews.0, overdueReviews: reviews.1)
        }
    }
}
