import Foundation
import KerbCore
import Logging
import PostgresNIO
import Storage

/// The thresholds of the unusual-behaviour rules, from the council's local policy.
public struct BehaviourRules: Sendable, Equatable {
    /// More records than this opened in one hour is flagged, whoever it is.
    public var viewsPerHourLimit: Int
    /// More than this many times the person's usual hourly count (their average over the hours
    /// they worked in the previous 28 days) is flagged, once they open at least `minimumViews`.
    public var usualMultiple: Int
    public var minimumViews: Int
    /// Working hours in the council's time (UK): an export outside them, or at a weekend, is flagged.
    public var workdayStartHour: Int
    public var workdayEndHour: Int

    public init(viewsPerHourLimit: Int, usualMultiple: Int, minimumViews: Int, workdayStartHour: Int, workdayEndHour: Int) {
        self.viewsPerHourLimit = viewsPerHourLimit
        self.usualMultiple = usualMultiple
        self.minimumViews = minimumViews
        self.workdayStartHour = workdayStartHour
        self.workdayEndHour = workdayEndHour
    }
}

/// A flag the rules raised: who, which rule, which hour, what was seen against what was allowed.
public struct BehaviourFlag: Sendable, Equatable {
    public enum Rule: String, Sendable, CaseIterable {
        case viewsOverLimit = "views-over-limit"
        case viewsAboveUsual = "views-above-usual"
        case exportOutOfHours = "export-out-of-hours"
    }

    public let id: UUID
    public let rule: Rule
    public let actorID: UUID?
    public let actor: String
    public let hour: Date
    public let observed: Int
    public let threshold: Int
    public let raisedAt: Date
    public let closedAt: Date?
    public let closedNote: String?
}

/// Unusual behaviour in the record-view log (migration 0015): one person opening far more
/// records in an hour than a policy limit or their own usual, and exports of personal data out
/// of hours. `evaluate` runs on the scheduled pass over the last few complete hours; a flag is
/// raised once per rule, person and hour, audited with the pass, and stays open until an
/// administrator closes it with a note (audited too).
public enum BehaviourFlags {
    /// Raises the flags the rules find in the complete hours of the last `hours` before `now`;
    /// returns the flags newly raised (a second pass over the same hours raises none).
    public static func evaluate(
        _ rules: BehaviourRules, now: Date, hours: Int = 3, as actor: AuditEvent, database: TenantDatabase, scope: TenantScope,
        logger: Logger
    ) async throws -> [BehaviourFlag] {
        let end = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let start = end.addingTimeInterval(-3600 * Double(max(1, hours)))
        return try await database.transaction(scope, logger: logger) { conn in
            var raised: [BehaviourFlag] = []
            for try await row in try await conn.query(
                """
                WITH hourly AS (
                    SELECT actor_id, max(actor) AS actor, date_trunc('hour', at) AS hour, count(*) AS views
                    FROM record_views WHERE at >= \(start) AND at < \(end) AND kind <> 'export'
                    GROUP BY actor_id, date_trunc('hour', at)
                ),
                usual AS (
                    SELECT h.actor_id, h.hour, count(v.id)::float8 / greatest(count(DISTINCT date_trunc('hour', v.at)), 1) AS average,
                        count(DISTINCT date_trunc('hour', v.at)) AS worked
                    FROM hourly h LEFT JOIN record_views v ON v.actor_id = h.actor_id AND v.kind <> 'export'
                        AND v.at >= h.hour - interval '28 days' AND v.at < h.hour
                    GROUP BY h.actor_id, h.hour
                ),
                exports AS (
                    SELECT actor_id, max(actor) AS actor, date_trunc('hour', at) AS hour, count(*) AS views
                    FROM record_views WHERE at >= \(start) AND at < \(end) AND kind = 'export'
                      AND (extract(isodow FROM at AT TIME ZONE 'Europe/London') > 5
                           OR extract(hour FROM at AT TIME ZONE 'Europe/London') < \(rules.workdayStartHour)
                           OR extract(hour FROM at AT TIME ZONE 'Europe/London') >= \(rules.workdayEndHour))
                    GROUP BY actor_id, date_trunc('hour', at)
                ),
                found AS (
                    SELECT 'views-over-limit' AS rule, actor_id, actor, hour, views, \(rules.viewsPerHourLimit)::bigint AS threshold
                    FROM hourly WHERE views > \(rules.viewsPerHourLimit)
                    UNION ALL
                    SELECT 'views-above-usual', h.actor_id, h.actor, h.hour, h.views, ceil(u.average * \(rules.usualMultiple))::bigint
                    FROM hourly h JOIN usual u USING (actor_id, hour)
                    WHERE u.worked >= 8 AND h.views >= \(rules.minimumViews) AND h.views > u.average * \(rules.usualMultiple)
                    UNION ALL
                    SELECT 'export-out-of-hours', actor_id, actor, hour, views, 0 FROM exports
                )
                INSERT INTO behaviour_flags (rule, actor_id, actor, hour, observed, threshold)
                SELECT rule, actor_id, actor, hour, views, threshold FROM found
                ON CONFLICT (rule, actor_id, hour) DO NOTHING
                RETURNING id, rule, actor_id, actor, hour, observed, threshold, raised_at, closed_at, closed_note
                """, logger: logger
            ).decode((UUID, String, UUID?, String, Date, Int, Int, Date, Date?, String?).self) {
                if let flag = flag(row) { raised.append(flag) }
            }
            for flag in raised {
                var event = actor
                event.action = "monitoring.flagged"
                event.target = flag.actorID?.uuidString.lowercased() ?? flag.actor
                event.detail =
                    "\(flag.rule.rawValue): \(flag.observed) in the hour from \(hourText(flag.hour)) (threshold \(flag.threshold))"
                try await AuditLog.record(event, on: conn, logger: logger)
            }
            return raised
        }
    }

    /// Open flags first (newest first), then the most recently closed ones.
    public static func list(database: TenantDatabase, scope: TenantScope, limit: Int = 100, logger: Logger) async throws
        -> [BehaviourFlag]
    {
        try await database.transaction(scope, logger: logger) { conn in
            var flags: [BehaviourFlag] = []
            for try await row in try await conn.query(
                """
                SELECT id, rule, actor_id, actor, hour, observed, threshold, raised_at, closed_at, closed_note FROM behaviour_flags
                ORDER BY closed_at IS NOT NULL, coalesce(closed_at, raised_at) DESC LIMIT \(limit)
                """, logger: logger
            ).decode((UUID, String, UUID?, String, Date, Int, Int, Date, Date?, String?).self) {
                if let flag = flag(row) { flags.append(flag) }
            }
            return flags
        }
    }

    /// Closes open flag `id` with the administrator's note; audited in the same transaction.
    /// Throws `AuditError.noSuchFlag` for an unknown or already closed flag.
    public static func close(
        _ id: UUID, note: String, by actor: AuditEvent, database: TenantDatabase, scope: TenantScope, logger: Logger
    ) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            var closed: String?
            for try await rule in try await conn.query(
                """
                UPDATE behaviour_flags SET closed_by = \(actor.actorID), closed_at = now(), closed_note = \(note)
                WHERE id = \(id) AND closed_at IS NULL RETURNING rule
                """, logger: logger
            ).decode(String.self) { closed = rule }
            guard let closed else { throw AuditError.noSuchFlag }
            var event = actor
            event.action = "monitoring.closed"
            event.target = id.uuidString.lowercased()
            event.detail = "\(closed): \(note)"
            try await AuditLog.record(event, on: conn, logger: logger)
        }
    }

    static func flag(_ row: (UUID, String, UUID?, String, Date, Int, Int, Date, Date?, String?)) -> BehaviourFlag? {
        guard let rule = BehaviourFlag.Rule(rawValue: row.1) else { return nil }
        return BehaviourFlag(
            id: row.0, rule: rule, actorID: row.2, actor: row.3, hour: row.4, observed: row.5, threshold: row.6, raisedAt: row.7,
            closedAt: row.8, closedNote: row.9)
    }

    static func hourText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/London") ?? .gmt
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

/// Refusals of the audit module's own use cases.
public enum AuditError: KerbError, Equatable {
    case noSuchFlag

    public var kind: KerbErrorKind { .notFound }
    public var code: String { "audit.no-such-flag" }
    public var publicDetail: String { "There is no open flag with that id." }
}
