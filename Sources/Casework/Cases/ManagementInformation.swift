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
    /// Reviews answered, and how many of those by their due day (seed 001 rec 4: five working days).
    public let reviewsDecided: Int
    public let reviewsDecidedOnTime: Int
    /// Decisions (and review outcomes) per officer over the last 12 months.
    public let throughputByOfficer: [Bucket]
    /// Decisions per calendar month, the last 12 months, oldest first.
    public let throughputByMonth: [Bucket]
    /// Cases outside their limits: open past the processing target, reviews past their due day.
    public let exceptions: [Exception]

    public struct Exception: Sendable, Equatable {
        public let reference: String
        public let what: String
        public let days: Int
    }

    /// Percentage decided within target, or nil before any decision.
    public var withinTargetPercent: Double? { decided == 0 ? nil : Double(decidedWithinTarget) * 100 / Double(decided) }
}

extension CaseService {
    /// The figures over the cases of `visibleTeams` (nil: every case), so a team-confined
    /// manager counts, and sees listed, nothing of another team's.
    public func managementInformation(_ scope: TenantScope, targetDays: Int, visibleTeams: Set<String>?, logger: Logger) async throws
        -> ManagementInformation
    {
        let visible = visibleTeams.map { $0.sorted() }
        return try await database.transaction(scope, logger: logger) { conn in
            var byStatus: [String: Int] = [:]
            for try await (status, count) in try await conn.query(
                """
                SELECT status, count(*)::int FROM applications WHERE \(visible)::text[] IS NULL OR team = ANY(\(visible))
                GROUP BY status
                """, logger: logger
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
                    AND (\(visible)::text[] IS NULL OR a.team = ANY(\(visible)))
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
            var reviews = (0, 0, 0, 0)
            for try await row in try await conn.query(
                """
                SELECT count(*) FILTER (WHERE r.status = 'OPEN')::int,
                       count(*) FILTER (WHERE r.status = 'OPEN' AND r.due_on < (now() AT TIME ZONE 'Europe/London')::date)::int,
                       count(*) FILTER (WHERE r.status <> 'OPEN')::int,
                       count(*) FILTER (WHERE r.status <> 'OPEN' AND (r.decided_at AT TIME ZONE 'Europe/London')::date <= r.due_on)::int
                FROM reviews r JOIN applications a ON a.id = r.application_id
                WHERE \(visible)::text[] IS NULL OR a.team = ANY(\(visible))
                """, logger: logger
            ).decode((Int, Int, Int, Int).self) { reviews = row }
            let statuses = ApplicationStatus.allCases.map {
                ManagementInformation.Bucket(label: $0.label, count: byStatus[$0.rawValue] ?? 0)
            }
            var byOfficer: [ManagementInformation.Bucket] = []
            for try await (name, count) in try await conn.query(
                """
                SELECT u.full_name, count(*)::int FROM (
                    SELECT d.decided_by AS who, d.application_id FROM decisions d WHERE d.decided_at > now() - interval '12 months'
                    UNION ALL SELECT r.decided_by, r.application_id FROM reviews r WHERE r.decided_at > now() - interval '12 months') d
                JOIN users u ON u.id = d.who JOIN applications a ON a.id = d.application_id
                WHERE \(visible)::text[] IS NULL OR a.team = ANY(\(visible))
                GROUP BY u.full_name ORDER BY count(*) DESC, u.full_name LIMIT 50
                """, logger: logger
            ).decode((String, Int).self) { byOfficer.append(.init(label: name, count: count)) }
            var byMonth: [ManagementInformation.Bucket] = []
            for try await (month, count) in try await conn.query(
                """
                SELECT to_char(m, 'Mon YYYY'), (SELECT count(*)::int FROM decisions d JOIN applications a ON a.id = d.application_id
                    WHERE date_trunc('month', d.decided_at AT TIME ZONE 'Europe/London') = m
                      AND (\(visible)::text[] IS NULL OR a.team = ANY(\(visible))))
                FROM generate_series(date_trunc('month', now() AT TIME ZONE 'Europe/London') - interval '11 months',
                                     date_trunc('month', now() AT TIME ZONE 'Europe/London'), interval '1 month') m
                ORDER BY m
                """, logger: logger
            ).decode((String, Int).self) { byMonth.append(.init(label: month, count: count)) }
            var exceptions: [ManagementInformation.Exception] = []
            for try await (reference, what, days) in try await conn.query(
                """
                SELECT reference, what, days FROM (
                    SELECT a.reference, 'open past the ' || \(targetDays) || '-day target' AS what,
                        floor(extract(epoch FROM (now() - a.received_at
                            - coalesce((SELECT sum(coalesce(c.resumed_at, now()) - c.paused_at) FROM clock_pauses c
                                        WHERE c.application_id = a.id), interval '0'))) / 86400)::int AS days
                    FROM applications a WHERE a.status IN ('RECEIVED', 'AWAITING_APPLICANT', 'ASSESSED')
                        AND (\(visible)::text[] IS NULL OR a.team = ANY(\(visible)))
                    UNION ALL
                    SELECT a.reference, 'review past its due day',
                        ((now() AT TIME ZONE 'Europe/London')::date - r.due_on)::int
                    FROM reviews r JOIN applications a ON a.id = r.application_id
                    WHERE r.status = 'OPEN' AND r.due_on < (now() AT TIME ZONE 'Europe/London')::date
                        AND (\(visible)::text[] IS NULL OR a.team = ANY(\(visible)))) x
                WHERE what LIKE 'review%' OR days > \(targetDays)
                ORDER BY days DESC, reference LIMIT 500
                """, logger: logger
            ).decode((String, String, Int).self) { exceptions.append(.init(reference: reference, what: what, days: days)) }
            let ageOrder = ["0–7 days", "8–14 days", "15–\(targetDays) days", "Over \(targetDays) days"]
            return ManagementInformation(
                byStatus: statuses, decided: decided, decidedWithinTarget: within,
                ageing: ageOrder.map { .init(label: $0, count: ageing[$0] ?? 0) }, openReviews: reviews.0, overdueReviews: reviews.1,
                reviewsDecided: reviews.2, reviewsDecidedOnTime: reviews.3,
                throughputByOfficer: byOfficer, throughputByMonth: byMonth, exceptions: exceptions)
        }
    }
}
