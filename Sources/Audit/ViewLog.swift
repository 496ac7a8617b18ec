import Foundation
import Logging
import PostgresNIO
import Storage

/// Who opened a record, from where, for which request: the "who" half of a record view.
public struct Viewer: Sendable, Equatable {
    public var actorID: UUID?
    public var actor: String
    /// The client's address (the peer, or what a trusted proxy forwarded for).
    public var client: String
    public var requestID: String

    /// Values are cut to the log's column limits, so a long name or header never fails a read.
    public init(actorID: UUID?, actor: String, client: String, requestID: String) {
        self.actorID = actorID
        self.actor = String(actor.prefix(200))
        self.client = String(client.prefix(64))
        self.requestID = String(requestID.prefix(100))
    }
}

/// A record someone opened: a case (and with it the applicant), a badge, an enforcement case, a
/// document, or an export of someone's personal data.
public struct RecordView: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case `case`, badge, enforcement, document, export
    }

    public var kind: Kind
    /// The record's reference (case or enforcement reference, badge number, document id).
    public var record: String
    /// Whose personal data it showed, when that is a person on file.
    public var personID: UUID?

    public init(_ kind: Kind, _ record: String, personID: UUID?) {
        self.kind = kind
        self.record = record
        self.personID = personID
    }
}

/// The council's log of who opened what (migration 0015): appended in the transaction of the
/// read itself, so a record shown is a record logged. Reads are many, so they stay off the audit
/// chain's lock; `seal` brings each new stretch of the log into the chain (its SHA-256 in a
/// `views.sealed` entry), and `AuditAnchors.verify` recomputes every sealed stretch.
public enum ViewLog {
    /// Logs one view in the caller's transaction.
    public static func record(_ view: RecordView, by viewer: Viewer, on conn: PostgresConnection, logger: Logger) async throws {
        _ = try await conn.query(
            """
            INSERT INTO record_views (actor_id, actor, kind, record, person_id, client, request_id)
            VALUES (\(viewer.actorID), \(viewer.actor), \(view.kind.rawValue), \(String(view.record.prefix(200))), \(view.personID),
                    \(viewer.client), \(viewer.requestID))
            """, logger: logger)
    }

    /// Logs one view in a transaction of its own.
    public static func record(_ view: RecordView, by viewer: Viewer, database: TenantDatabase, scope: TenantScope, logger: Logger)
        async throws
    {
        try await database.transaction(scope, logger: logger) { conn in try await record(view, by: viewer, on: conn, logger: logger) }
    }

    /// The SHA-256 of the views with ids in (`$1`, `$2`], in id order, each row one unambiguous
    /// JSON array. Sealing and verifying both use this text, so they cannot drift apart; neither
    /// calls a function in the tenant's schema, whose owner could replace it.
    static let digestSQL: StaticString = """
        SELECT encode(sha256(convert_to(coalesce(string_agg(json_build_array(v.id,
            to_char(v.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), v.actor_id, v.actor, v.kind, v.record,
            v.person_id, v.client, v.request_id)::text, E'\\n' ORDER BY v.id), ''), 'UTF8')), 'hex')
        FROM record_views v WHERE v.id > $1::bigint AND v.id <= $2::bigint
        """

    /// What a `views.sealed` entry's detail holds.
    struct Seal: Codable, Equatable {
        let after: Int64
        let upto: Int64
        let sha256: String
    }

    /// Seals the views logged since the last seal and more than a minute ago (a read's
    /// transaction is one statement, long finished by then, so no earlier id can still appear)
    /// into the audit chain, as `actor`. Returns how many views it sealed. Two processes sealing
    /// at once queue on a lock, so a stretch is sealed once.
    @discardableResult
    public static func seal(as actor: AuditEvent, database: TenantDatabase, scope: TenantScope, now: Date, logger: Logger) async throws
        -> Int64
    {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.views_seal'))", logger: logger)
            var after: Int64 = 0
            for try await detail in try await conn.query(
                "SELECT detail FROM audit_events WHERE action = 'views.sealed' ORDER BY seq DESC LIMIT 1", logger: logger
            ).decode(String.self) {
                after = (try? JSONDecoder().decode(Seal.self, from: Data(detail.utf8)))?.upto ?? 0
            }
            let cutoff = now.addingTimeInterval(-60)
            var upto = after
            for try await id in try await conn.query(
                "SELECT id FROM record_views WHERE at < \(cutoff) ORDER BY id DESC LIMIT 1", logger: logger
            ).decode(Int64.self) { upto = id }
            guard upto > after else { return 0 }
            var hash = ""
            var binds = PostgresBindings(capacity: 2)
            binds.append(String(after))
            binds.append(String(upto))
            for try await value in try await conn.query(PostgresQuery(unsafeSQL: "\(digestSQL)", binds: binds), logger: logger).decode(
                String.self)
            { hash = value }
            let detail = try JSONEncoder().encode(Seal(after: after, upto: upto, sha256: hash))
            var event = actor
            event.action = "views.sealed"
            event.target = "record_views"
            event.detail = String(decoding: detail, as: UTF8.self)
            try await AuditLog.record(event, on: conn, logger: logger)
            return upto - after
        }
    }

    /// One logged view, as the audit page and a subject access archive show it.
    public struct Entry: Sendable, Equatable {
        public let id: Int64
        public let at: Date
        public let viewer: Viewer
        public let view: RecordView
    }

    /// The newest views matching `filter` (who: part of the name; record: its reference from the
    /// start; from/before), newest first.
    public static func search(
        database: TenantDatabase, scope: TenantScope, _ filter: AuditLog.Filter, limit: Int = 100, logger: Logger
    ) async throws -> [Entry] {
        let actor = filter.actor.map { "%" + AuditLog.Filter.literal($0.lowercased()) + "%" } ?? "%"
        let record = filter.record.map { AuditLog.Filter.literal($0) + "%" } ?? "%"
        return try await database.transaction(scope, logger: logger) { conn in
            try await entries(
                conn,
                """
                SELECT id, at, actor_id, actor, client, request_id, kind, record, person_id FROM record_views
                WHERE lower(actor) LIKE \(actor) AND (record LIKE \(record) OR person_id::text LIKE \(record))
                  AND (\(filter.from)::timestamptz IS NULL OR at >= \(filter.from))
                  AND (\(filter.before)::timestamptz IS NULL OR at < \(filter.before))
                ORDER BY id DESC LIMIT \(limit)
                """, logger)
        }
    }

    /// Every view of `personID`'s records, oldest first (for their subject access archive).
    public static func views(of personID: UUID, on conn: PostgresConnection, logger: Logger) async throws -> [Entry] {
        try await entries(
            conn,
            """
            SELECT id, at, actor_id, actor, client, request_id, kind, record, person_id FROM record_views
            WHERE person_id = \(personID) ORDER BY id
            """, logger)
    }

    private static func entries(_ conn: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) async throws -> [Entry] {
        var found: [Entry] = []
        for try await (id, at, actorID, actor, client, requestID, kind, record, personID) in try await conn.query(query, logger: logger)
            .decode((Int64, Date, UUID?, String, String, String, String, String, UUID?).self)
        {
            guard let kind = RecordView.Kind(rawValue: kind) else { continue }
            found.append(
                Entry(
                    id: id, at: at, viewer: Viewer(actorID: actorID, actor: actor, client: client, requestID: requestID),
                    view: RecordView(kind, record, personID: personID)))
        }
        return found
    }
}
