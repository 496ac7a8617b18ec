import Audit
import Documents
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Records past the council's retention periods (local policy `retention.*`, issue 11 item 5),
/// anonymised by the daily pass after a dry run the administrators can read first:
/// - a refused or withdrawn application (or an approved one that never got a badge),
///   `refused_application_months` after the decision, no review open;
/// - an application whose badge ended (expired, cancelled or replaced)
///   `expired_badge_months` ago;
/// - a closed enforcement case, `enforcement_months` after it closed;
/// - and then the applicant, once nothing of theirs is kept any longer (every application
///   anonymised or due, every badge past its period, no enforcement case open).
/// Documents have their own, shorter pass (`DocumentRetention`).
public struct RecordRetention: Sendable {
    let cases: CaseService
    let vault: DocumentVault

    public init(cases: CaseService, vault: DocumentVault) {
        self.cases = cases
        self.vault = vault
    }

    public struct Due: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case application, enforcement, person
        }

        public let kind: Kind
        public let id: UUID
        /// The case or enforcement reference, or for a person the case they are reached by.
        public let reference: String
        public let why: String
    }

    struct Cutoffs {
        let decided: Date
        let badgeEnded: String
        let closed: Date
    }

    static func cutoffs(_ policy: LocalPolicyDocument.Retention, now: Date) -> Cutoffs {
        let calendar = Calendar(identifier: .gregorian)
        func back(_ months: Int) -> Date { calendar.date(byAdding: .month, value: -months, to: now) ?? now }
        return Cutoffs(
            decided: back(policy.refusedApplicationMonths), badgeEnded: CaseService.isoDay(back(policy.expiredBadgeMonths)),
            closed: back(policy.enforcementMonths))
    }

    /// Whether application `a` is due: decided without a badge and past the decided cutoff, or
    /// its badge ended before the badge cutoff. `$1` decided cutoff, `$2` badge cutoff day.
    static let applicationDue = """
        a.anonymised_at IS NULL AND a.status IN ('APPROVED', 'REFUSED', 'WITHDRAWN')
        AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.application_id = a.id AND r.status = 'OPEN')
        AND ((NOT EXISTS (SELECT 1 FROM badges b WHERE b.application_id = a.id) AND a.decided_at < $1::timestamptz)
          OR EXISTS (SELECT 1 FROM badges b WHERE b.application_id = a.id
                     AND least(b.expiry_date, coalesce(b.ended_at::date, b.expiry_date)) < $2::date))
        """

    /// Everything due, as one statement: `$1` decided cutoff, `$2` badge cutoff day, `$3`
    /// closed cutoff. A person is due when everything of theirs is anonymised or due now.
    static let dueSQL = """
        SELECT 'application', a.id, a.reference, 'decided ' || to_char(a.decided_at, 'YYYY-MM-DD') || ', ' || lower(a.status)
        FROM applications a WHERE \(applicationDue)
        UNION ALL
        SELECT 'enforcement', e.id, e.reference, 'closed ' || to_char(e.closed_at, 'YYYY-MM-DD')
        FROM enforcement_cases e WHERE e.status = 'CLOSED' AND e.anonymised_at IS NULL AND e.closed_at < $3::timestamptz
        UNION ALL
        SELECT 'person', p.id, (SELECT min(x.reference) FROM applications x WHERE x.person_id = p.id), 'nothing of theirs is kept any longer'
        FROM people p
        WHERE p.erased_at IS NULL
          AND EXISTS (SELECT 1 FROM applications x WHERE x.person_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.anonymised_at IS NULL AND NOT (\(applicationDue)))
          AND NOT EXISTS (SELECT 1 FROM badges b WHERE b.person_id = p.id
                          AND least(b.expiry_date, coalesce(b.ended_at::date, b.expiry_date)) >= $2::date)
          AND NOT EXISTS (SELECT 1 FROM enforcement_cases e WHERE e.status <> 'CLOSED'
                          AND (e.person_id = p.id OR e.badge IN (SELECT badge_number FROM badges WHERE person_id = p.id)))
        ORDER BY 1, 3
        """

    static func read(_ conn: PostgresConnection, _ cutoffs: Cutoffs, _ logger: Logger) async throws -> [Due] {
        var binds = PostgresBindings(capacity: 3)
        binds.append(cutoffs.decided)
        binds.append(cutoffs.badgeEnded)
        binds.append(cutoffs.closed)
        var due: [Due] = []
        for try await (kind, id, reference, why) in try await conn.query(PostgresQuery(unsafeSQL: dueSQL, binds: binds), logger: logger)
            .decode((String, UUID, String?, String).self)
        {
            guard let kind = Due.Kind(rawValue: kind) else { continue }
            due.append(Due(kind: kind, id: id, reference: reference ?? "", why: why))
        }
        return due
    }

    /// The dry run: everything `apply` would anonymise now.
    public func due(_ scope: TenantScope, policy: LocalPolicyDocument.Retention, logger: Logger) async throws -> [Due] {
        let cutoffs = Self.cutoffs(policy, now: cases.clock.now())
        return try await cases.database.transaction(scope, logger: logger) { conn in try await Self.read(conn, cutoffs, logger) }
    }

    /// Anonymises what `due` lists, in one transaction, as `actor`: each case's timeline and one
    /// audit entry per kind say what went; document blobs are removed after the commit.
    @discardableResult
    public func apply(_ scope: TenantScope, policy: LocalPolicyDocument.Retention, as actor: Actor, logger: Logger) async throws -> [Due] {
        let cutoffs = Self.cutoffs(policy, now: cases.clock.now())
        let (due, documents) = try await cases.database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.retention'))", logger: logger)
            let due = try await Self.read(conn, cutoffs, logger)
            guard !due.isEmpty else { return (due, [UUID]()) }
            let applications = due.filter { $0.kind == .application }
            var documents = try await Anonymiser.applications(applications.map(\.id), on: conn, logger: logger)
            for application in applications {
                try await CaseService.event(
                    conn, application.id, actor.officer, "retention", "Anonymised: past its retention period (\(application.why))", logger)
            }
            documents += try await Anonymiser.enforcement(due.filter { $0.kind == .enforcement }.map(\.id), on: conn, logger: logger)
            for person in due.filter({ $0.kind == .person }) {
                documents += try await Anonymiser.person(person.id, on: conn, logger: logger)
            }
            for kind in [Due.Kind.application, .enforcement, .person] {
                let items = due.filter { $0.kind == kind }
                guard !items.isEmpty else { continue }
                try await AuditLog.record(
                    actor.audit(
                        "retention.\(kind.rawValue)-anonymised", target: kind.rawValue,
                        detail: "\(items.count) past the retention period: "
                            + items.map { kind == .person ? $0.id.uuidString.lowercased() : $0.reference }.joined(separator: ",")),
                    on: conn, logger: logger)
            }
            return (due, documents)
        }
        for id in documents { await vault.discard(id, scope, logger: logger) }
        if !due.isEmpty { logger.notice("retention anonymised records", metadata: ["kerb.count": .stringConvertible(due.count)]) }
        return due
    }
}
