import Audit
import Documents
import Foundation
import Logging
import Policy
import PostgresNIO
import Storage

/// Documents past the council's retention period (local policy `retention.document_months`):
/// those of a case decided (approved, refused or withdrawn) more than that many months ago, with
/// no review open. `due` is the dry run (what would go, and why); `apply` removes exactly those
/// rows, each case's timeline saying so and one audit entry listing them, in one transaction,
/// then the blobs (a blob whose removal fails has no row, so the sweep takes it later).
public struct DocumentRetention: Sendable {
    let cases: CaseService
    let vault: DocumentVault

    public init(cases: CaseService, vault: DocumentVault) {
        self.cases = cases
        self.vault = vault
    }

    public struct Due: Sendable, Equatable {
        public let id: UUID
        public let reference: String
        public let fileName: String
        public let decidedAt: Date
    }

    static func cutoff(_ policy: LocalPolicyDocument.Retention, now: Date) -> Date {
        let calendar = Calendar(identifier: .gregorian)
        return calendar.date(byAdding: .month, value: -policy.documentMonths, to: now) ?? now
    }

    static func dueQuery(_ cutoff: Date, lock: Bool) -> PostgresQuery {
        let base: PostgresQuery = """
            SELECT d.id, a.reference, d.file_name, a.decided_at FROM documents d JOIN applications a ON a.id = d.application_id
            WHERE a.status IN ('APPROVED', 'REFUSED', 'WITHDRAWN') AND a.decided_at IS NOT NULL AND a.decided_at < \(cutoff)
              AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.application_id = a.id AND r.status = 'OPEN')
            ORDER BY a.decided_at, d.id
            """
        guard lock else { return base }
        var locked = base
        locked.sql += " FOR UPDATE OF d"
        return locked
    }

    /// The dry run: every document `apply` would remove now.
    public func due(_ scope: TenantScope, policy: LocalPolicyDocument.Retention, logger: Logger) async throws -> [Due] {
        let cutoff = Self.cutoff(policy, now: cases.clock.now())
        return try await cases.database.transaction(scope, logger: logger) { conn in
            try await Self.read(conn, Self.dueQuery(cutoff, lock: false), logger)
        }
    }

    /// Removes what `due` lists, as `actor` (the scheduler, or an administrator).
    @discardableResult
    public func apply(_ scope: TenantScope, policy: LocalPolicyDocument.Retention, as actor: Actor, logger: Logger) async throws -> [Due] {
        let now = cases.clock.now()
        let cutoff = Self.cutoff(policy, now: now)
        let removed = try await cases.database.transaction(scope, logger: logger) { conn in
            let due = try await Self.read(conn, Self.dueQuery(cutoff, lock: true), logger)
            guard !due.isEmpty else { return due }
            let ids = due.map(\.id)
            _ = try await conn.query("DELETE FROM documents WHERE id = ANY(\(ids))", logger: logger)
            for reference in Set(due.map(\.reference)).sorted() {
                let count = due.filter { $0.reference == reference }.count
                _ = try await conn.query(
                    """
                    INSERT INTO application_events (application_id, actor_id, actor, kind, detail)
                    SELECT id, \(actor.officer.id), \(actor.officer.name), 'retention',
                        \("\(count) document\(count == 1 ? "" : "s") removed: past the retention period of \(policy.documentMonths) months")
                    FROM applications WHERE reference = \(reference)
                    """, logger: logger)
            }
            try await AuditLog.record(
                actor.audit(
                    "retention.documents-removed", target: "documents",
                    detail: "\(due.count) past \(policy.documentMonths) months: "
                        + ids.map { $0.uuidString.lowercased() }.joined(separator: ",")),
                on: conn, logger: logger)
            return due
        }
        for document in removed { await vault.discard(document.id, scope, logger: logger) }
        if !removed.isEmpty { logger.notice("retention removed documents", metadata: ["kerb.count": .stringConvertible(removed.count)]) }
        return removed
    }

    static func read(_ conn: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) async throws -> [Due] {
        var due: [Due] = []
        for try await (id, reference, name, decided) in try await conn.query(query, logger: logger).decode(
            (UUID, String, String, Date).self)
        {
            due.append(Due(id: id, reference: reference, fileName: name, decidedAt: decided))
        }
        return due
    }
}
