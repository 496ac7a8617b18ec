import Foundation
import Logging
import PostgresNIO
import Storage

/// One entry in a council's audit trail.
public struct AuditEvent: Sendable, Equatable {
    public enum Outcome: String, Sendable { case done, denied }

    public var actorID: UUID?
    /// A label that outlives the account (the person's name), or "anonymous".
    public var actor: String
    /// Dotted verb, e.g. `users.invite`, `policy.change`, `access.denied`.
    public var action: String
    public var target: String
    public var outcome: Outcome
    public var detail: String
    public var requestID: String

    public init(
        actorID: UUID?, actor: String, action: String, target: String = "", outcome: Outcome = .done, detail: String = "",
        requestID: String = ""
    ) {
        self.actorID = actorID
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.detail = detail
        self.requestID = requestID
    }
}

/// A recorded entry, as the audit page shows it.
public struct AuditEntry: Sendable {
    public let seq: Int64
    public let at: Date
    public let event: AuditEvent
}

/// Writes and reads the tamper-evident trail in a tenant's schema (migration 0004). Writes go
/// in the caller's transaction, so an action and its audit row commit or vanish together; the
/// chain itself (sequence, previous hash, hash) is computed by the database under a lock.
public enum AuditLog {
    public static func record(_ event: AuditEvent, on conn: PostgresConnection, logger: Logger) async throws {
        try await record(event, before: nil, after: nil, on: conn, logger: logger)
    }

    /// Records a change with the fields that differ between `before` and `after` (JSON objects
    /// of the record's audited fields, as text; nil where the record did not or no longer exists).
    public static func record(_ event: AuditEvent, before: String?, after: String?, on conn: PostgresConnection, logger: Logger)
        async throws
    {
        // Without states the row is exactly an old-style row (changes NULL: the same hash input).
        let withChanges = before != nil || after != nil
        _ = try await conn.query(
            """
            INSERT INTO audit_events (actor_id, actor, action, target, outcome, detail, request_id, changes)
            VALUES (\(event.actorID), \(event.actor), \(event.action), \(event.target), \(event.outcome.rawValue),
                    \(event.detail), \(event.requestID), CASE WHEN \(withChanges) THEN audit_diff(\(before)::jsonb, \(after)::jsonb) END)
            """, logger: logger)
    }

    /// A record's audited fields as the JSON object `record(_:before:after:on:logger:)` takes.
    public static func fields(_ values: [String: String?]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(values)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Records an event from an operator's admin session, inside the council (`enterTenant`), in
    /// the caller's transaction: an export, a key rotation, anything supplier ops do to a council.
    public static func record(_ event: AuditEvent, on session: AdminSession) throws {
        try session.query(
            """
            INSERT INTO audit_events (actor_id, actor, action, target, outcome, detail, request_id)
            VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)
            """,
            [event.actorID?.uuidString, event.actor, event.action, event.target, event.outcome.rawValue, event.detail, event.requestID])
    }

    /// The sequence number of the council's newest audit entry (0 for none), on an admin session
    /// inside the council: where an export stands in the trail, and whether anything changed since.
    public static func lastSeq(on session: AdminSession) throws -> Int64 {
        Int64(try session.query("SELECT coalesce(max(seq), 0)::text FROM audit_events").first?[0].flatMap { $0 } ?? "0") ?? 0
    }

    /// Records an event in a transaction of its own (for refusals, which change nothing else).
    public static func record(_ event: AuditEvent, database: TenantDatabase, scope: TenantScope, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in try await record(event, on: conn, logger: logger) }
    }

    /// The newest entries, optionally only refusals.
    public static func recent(
        database: TenantDatabase, scope: TenantScope, deniedOnly: Bool = false, limit: Int = 100, logger: Logger
    ) async throws -> [AuditEntry] {
        try await search(database: database, scope: scope, Filter(deniedOnly: deniedOnly), limit: limit, logger: logger)
    }

    /// What the audit page narrows the trail to: who acted (part of their name), which record
    /// (a case, badge or enforcement reference, a person's id: the entry's target, from its
    /// start), when (from and before), refusals only. Every value is bound, never spliced.
    public struct Filter: Sendable, Equatable {
        public var deniedOnly = false
        public var actor: String?
        public var record: String?
        public var from: Date?
        public var before: Date?

        public init(deniedOnly: Bool = false, actor: String? = nil, record: String? = nil, from: Date? = nil, before: Date? = nil) {
            self.deniedOnly = deniedOnly
            self.actor = actor.flatMap { $0.isEmpty ? nil : $0 }
            self.record = record.flatMap { $0.isEmpty ? nil : $0 }
            self.from = from
            self.before = before
        }

        /// `LIKE` patterns match their text literally: `%`, `_` and `\` are escaped.
        static func literal(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
        }
    }

    /// The newest entries that match `filter`, newest first.
    public static func search(
        database: TenantDatabase, scope: TenantScope, _ filter: Filter, limit: Int = 100, logger: Logger
    ) async throws -> [AuditEntry] {
        try await database.transaction(scope, logger: logger) { conn in
            var entries: [AuditEntry] = []
            let outcome = filter.deniedOnly ? "denied" : "%"
            let actor = filter.actor.map { "%" + Filter.literal($0.lowercased()) + "%" } ?? "%"
            let record = filter.record.map { Filter.literal($0) + "%" } ?? "%"
            for try await (seq, at, actorID, actor, action, target, outcome, detail, requestID) in try await conn.query(
                """
                SELECT seq, at, actor_id, actor, action, target, outcome, detail, request_id FROM audit_events
                WHERE outcome LIKE \(outcome) AND lower(actor) LIKE \(actor) AND target LIKE \(record)
                  AND (\(filter.from)::timestamptz IS NULL OR at >= \(filter.from))
                  AND (\(filter.before)::timestamptz IS NULL OR at < \(filter.before))
                ORDER BY seq DESC LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, Date, UUID?, String, String, String, String, String, String).self) {
                let event = AuditEvent(
                    actorID: actorID, actor: actor, action: action, target: target,
                    outcome: AuditEvent.Outcome(rawValue: outcome) ?? .done, detail: detail, requestID: requestID)
                entries.append(AuditEntry(seq: seq, at: at, event: event))
            }
            return entries
        }
    }

    /// The first entry whose hash does not follow from its content and predecessor, or nil
    /// when the whole chain is intact.
    public static func firstBrokenEntry(database: TenantDatabase, scope: TenantScope, logger: Logger) async throws -> Int64? {
        try await database.transaction(scope, logger: logger) { conn in
            var broken: Int64?
            for try await value in try await conn.query("SELECT audit_verify()", logger: logger).decode(Int64?.self) { broken = value }
            return broken
        }
    }
}
