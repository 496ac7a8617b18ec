import Foundation
import KerbCore
import Storage

/// What is wrong with the first bad row of an audit chain.
public enum AuditChainFault: Sendable, Equatable {
    /// The row's number is not its place in the trail: rows before it were removed (or slipped in).
    case outOfSequence(position: Int64)
    /// Its `prev_hash` is not the hash of the row before it.
    case unlinked
    /// Its hash does not follow from its content: it was changed after it was written.
    case contentChanged
}

/// Why `kerb audit verify` (or `anchor`) refused a trail. Details are row numbers, hashes'
/// positions and times, never the trail's content.
public enum AuditTrailError: KerbError, Equatable {
    case brokenRow(schema: String, seq: Int64, fault: AuditChainFault)
    /// The chain is consistent but shorter than when it was anchored: it was rewritten.
    case fewerRowsThanAnchored(schema: String, rows: Int64, anchored: Int64, anchoredAt: String)
    /// The chain is consistent but the anchored head is not at its position: it was rewritten.
    case anchoredHeadMissing(schema: String, seq: Int64, anchoredAt: String)
    /// The record views sealed by entry `seq` no longer hash to what it sealed, or the seals
    /// leave a gap: views were changed, removed or slipped in after they were sealed.
    case viewsRewritten(schema: String, seq: Int64)

    public var kind: KerbErrorKind { .conflict }

    public var code: String {
        switch self {
        case .brokenRow: "audit.broken-row"
        case .fewerRowsThanAnchored: "audit.fewer-rows-than-anchored"
        case .anchoredHeadMissing: "audit.anchored-head-missing"
        case .viewsRewritten: "audit.views-rewritten"
        }
    }

    public var publicDetail: String {
        switch self {
        case .brokenRow(let schema, let seq, .outOfSequence(let position)):
            "audit trail of \(schema): row \(seq) is in position \(position), so rows before it were removed or added"
        case .brokenRow(let schema, let seq, .unlinked):
            "audit trail of \(schema): row \(seq) does not link to the row before it (prev_hash is not that row's hash)"
        case .brokenRow(let schema, let seq, .contentChanged):
            "audit trail of \(schema): row \(seq) was changed after it was written (its hash does not match its content)"
        case .fewerRowsThanAnchored(let schema, let rows, let anchored, let at):
            "audit trail of \(schema) was rewritten: it has \(rows) rows, fewer than the \(anchored) anchored at \(at)"
        case .anchoredHeadMissing(let schema, let seq, let at):
            "audit trail of \(schema) was rewritten: row \(seq) is not the head anchored at \(at)"
        case .viewsRewritten(let schema, let seq):
            "record views of \(schema) were changed after row \(seq) of the audit trail sealed them"
        }
    }
}

/// The last anchor of a trail, as kept in `kerb_control.audit_anchors`.
public struct AuditAnchor: Sendable, Equatable {
    public let rowCount: Int64
    /// Hex SHA-256 of the last anchored row; nil when the trail was empty.
    public let headHash: String?
    /// When, in UTC (ISO 8601).
    public let at: String
}

/// A trail that verified: its chain is intact and it still holds its last anchor.
public struct AuditTrailCheck: Sendable, Equatable {
    public let schema: String
    public let rows: Int64
    public let headHash: String?
    /// The anchor it was checked against, or nil if it was never anchored.
    public let anchor: AuditAnchor?
}

/// Anchors a tenant's audit trail outside its schema and verifies it against the anchor.
///
/// The chain in the tenant's schema (migration 0004) shows that no single row was edited or
/// removed, but whoever owns the schema could rewrite the whole trail and re-chain it
/// consistently. An anchor (row count and head hash, in the control plane, writable only by
/// `kerb_admin`) pins what the trail held when it was taken: a later trail must be at least that
/// long and have that head at that position. Both run as `kerb_admin`, reading the trail through
/// the tenant's request role, and recompute the chain without calling any function in the
/// tenant's schema, whose owner could have replaced it.
public enum AuditAnchors {
    /// Verifies one trail in a repeatable-read transaction on `session`: the first bad row, then
    /// the last anchor. Throws `AuditTrailError` for a trail that fails.
    public static func verify(_ session: AdminSession, _ scope: TenantScope) throws -> AuditTrailCheck {
        try inTransaction(session) { try check(session, scope) }
    }

    /// Verifies one trail and, if it holds more than (or other than) its last anchor, anchors its
    /// present head. Refuses a trail that fails verification, so a rewrite is never blessed.
    /// Returns the check and whether a new anchor was recorded.
    public static func anchor(_ session: AdminSession, _ scope: TenantScope, actor: String) throws -> (
        check: AuditTrailCheck, recorded: Bool
    ) {
        try inTransaction(session) {
            let checked = try check(session, scope)
            if let anchor = checked.anchor, anchor.rowCount == checked.rows, anchor.headHash == checked.headHash {
                return (checked, false)
            }
            try session.query(
                """
                INSERT INTO kerb_control.audit_anchors (schema_name, row_count, head_hash, anchored_by)
                VALUES ($1, $2::bigint, decode($3, 'hex'), $4)
                """, [scope.schema, String(checked.rows), checked.headHash, actor])
            return (checked, true)
        }
    }

    private static func inTransaction<T>(_ session: AdminSession, _ body: () throws -> T) throws -> T {
        try session.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        do {
            let value = try body()
            try session.query("COMMIT")
            return value
        } catch {
            _ = try? session.query("ROLLBACK")
            throw error
        }
    }

    private static func check(_ session: AdminSession, _ scope: TenantScope) throws -> AuditTrailCheck {
        let anchor = try session.query(
            """
            SELECT row_count::text, encode(head_hash, 'hex'), to_char(anchored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM kerb_control.audit_anchors WHERE schema_name = $1 ORDER BY id DESC LIMIT 1
            """, [scope.schema]
        ).first.flatMap { row -> AuditAnchor? in
            guard let count = row[0].flatMap({ Int64($0) }), let at = row[2] else { return nil }
            return AuditAnchor(rowCount: count, headHash: row[1], at: at)
        }

        try session.enterTenant(scope)
        // The canonical row text must stay the one `audit_canonical` builds (migrations 0004 and
        // 0013); it is repeated here so that replacing that function cannot blind the check.
        let firstBad = try session.query(
            """
            WITH chain AS (
                SELECT e.seq, row_number() OVER (ORDER BY e.seq) AS position, e.prev_hash,
                       lag(e.hash) OVER (ORDER BY e.seq) AS previous_hash, e.hash,
                       sha256(coalesce(e.prev_hash, '\\x'::bytea) || convert_to(CASE WHEN e.changes IS NULL THEN
                           json_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_id,
                               e.actor, e.action, e.target, e.outcome, e.detail, e.request_id)::text
                       ELSE
                           json_build_array(e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_id,
                               e.actor, e.action, e.target, e.outcome, e.detail, e.request_id, e.changes)::text
                       END, 'UTF8')) AS recomputed
                FROM audit_events e
            )
            SELECT seq::text, position::text,
                   CASE WHEN seq <> position THEN 'sequence' WHEN prev_hash IS DISTINCT FROM previous_hash THEN 'link' ELSE 'content' END
            FROM chain
            WHERE seq <> position OR prev_hash IS DISTINCT FROM previous_hash OR hash IS DISTINCT FROM recomputed
            ORDER BY seq LIMIT 1
            """
        ).first
        let head = try session.query(
            "SELECT count(*)::text, encode((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), 'hex') FROM audit_events")
        let rows = head.first?[0].flatMap { Int64($0) } ?? 0
        let headHash = head.first?[1] ?? nil
        var anchoredHead: String?
        if let anchor, anchor.rowCount > 0, rows >= anchor.rowCount {
            anchoredHead =
                try session.query(
                    "SELECT encode(hash, 'hex') FROM audit_events WHERE seq = $1::bigint", [String(anchor.rowCount)]
                ).first?[0] ?? nil
        }
        let badSeal = try firstBadViewSeal(session)
        try session.leaveTenant()

        if let firstBad, let seq = firstBad[0].flatMap({ Int64($0) }) {
            let fault: AuditChainFault =
                switch firstBad[2] {
                case "sequence": .outOfSequence(position: firstBad[1].flatMap { Int64($0) } ?? 0)
                case "link": .unlinked
                default: .contentChanged
                }
            throw AuditTrailError.brokenRow(schema: scope.schema, seq: seq, fault: fault)
        }
        if let badSeal { throw AuditTrailError.viewsRewritten(schema: scope.schema, seq: badSeal) }
        if let anchor {
            if rows < anchor.rowCount {
                throw AuditTrailError.fewerRowsThanAnchored(
                    schema: scope.schema, rows: rows, anchored: anchor.rowCount, anchoredAt: anchor.at)
            }
            if anchor.rowCount > 0, anchoredHead != anchor.headHash {
                throw AuditTrailError.anchoredHeadMissing(schema: scope.schema, seq: anchor.rowCount, anchoredAt: anchor.at)
            }
        }
        return AuditTrailCheck(schema: scope.schema, rows: rows, headHash: headHash, anchor: anchor)
    }

    /// The first `views.sealed` entry whose stretch of record views no longer hashes to what it
    /// sealed, or that does not start where the previous seal ended; nil when all hold (or the
    /// schema predates record views). Runs inside the tenant, after the chain itself verified.
    private static func firstBadViewSeal(_ session: AdminSession) throws -> Int64? {
        guard try session.query("SELECT to_regclass('record_views') IS NOT NULL").first?[0] == "t" else { return nil }
        let seals = try session.query(
            "SELECT seq::text, detail FROM audit_events WHERE action = 'views.sealed' ORDER BY seq")
        var previousUpto: Int64 = 0
        for row in seals {
            guard let seq = row[0].flatMap({ Int64($0) }) else { continue }
            guard let detail = row[1], let seal = try? JSONDecoder().decode(ViewLog.Seal.self, from: Data(detail.utf8)),
                seal.after == previousUpto,
                try session.query(ViewLog.digestSQL, [String(seal.after), String(seal.upto)]).first?[0] == seal.sha256
            else { return seq }
            previousUpto = seal.upto
        }
        return nil
    }
}
