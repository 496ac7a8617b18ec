import Audit
import Documents
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Erasure on request (UK GDPR article 17, issue 11 item 5), where the law allows it: not while
/// the council still needs the record for its public task (an application or review open, a
/// badge live, an enforcement case open about them). Then the applicant of a case is erased
/// (`Anonymiser.person`): their details, representatives, corrections' old values, their cases'
/// free text and documents. Case references, dates and outcomes stay, so the council's figures
/// and the audit trail still add up. Needs `exports.run` (data rights) on a case one may see.
public struct Erasure: Sendable {
    let cases: CaseService
    let vault: DocumentVault

    public init(cases: CaseService, vault: DocumentVault) {
        self.cases = cases
        self.vault = vault
    }

    /// Why person `id` cannot be erased today (empty: they can).
    static func blockers(_ id: UUID, today: String, on conn: PostgresConnection, logger: Logger) async throws -> [String] {
        var reasons: [String] = []
        for try await (open, review, badge, enforcement) in try await conn.query(
            """
            SELECT
                EXISTS (SELECT 1 FROM applications WHERE person_id = \(id) AND status NOT IN ('APPROVED', 'REFUSED', 'WITHDRAWN')),
                EXISTS (SELECT 1 FROM reviews r JOIN applications a ON a.id = r.application_id
                        WHERE a.person_id = \(id) AND r.status = 'OPEN'),
                EXISTS (SELECT 1 FROM badges WHERE person_id = \(id) AND status IN ('ORDERED', 'ISSUED') AND expiry_date >= \(today)::date),
                EXISTS (SELECT 1 FROM enforcement_cases e WHERE e.status <> 'CLOSED'
                        AND (e.person_id = \(id) OR e.badge IN (SELECT badge_number FROM badges WHERE person_id = \(id))))
            """, logger: logger
        ).decode((Bool, Bool, Bool, Bool).self) {
            if open { reasons.append("an application of theirs is still open") }
            if review { reasons.append("a review of a decision is still open") }
            if badge { reasons.append("they hold a live badge (cancel it first, or let it expire)") }
            if enforcement { reasons.append("an enforcement case about them or their badge is open") }
        }
        return reasons
    }

    /// Erases the applicant of case `reference` for `reason`; returns how many documents went.
    /// Refused with `CaseworkError.erasureRefused` and the reasons while the law needs the record.
    @discardableResult
    public func erase(_ scope: TenantScope, reference: String, reason: String, as actor: Actor, logger: Logger) async throws -> Int {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw CaseworkError.invalid([FieldIssue(field: "erase-reason", message: "Say why the record is being erased")])
        }
        let today = CaseService.isoDay(cases.clock.now())
        let documents = try await cases.access.run(scope, logger: logger) { conn in
            let row = try await CaseService.authorised(conn, reference, .viewCase, as: actor, lock: true, logger)
            try CaseAccess.check(actor, .runExports, AccessTarget(team: row.team), resource: reference, hidden: CaseworkError.noSuchCase)
            let personID = try await CaseService.personID(conn, row.id, logger)
            _ = try await CaseService.details(conn, personID: personID, lock: true, logger)
            let blockers = try await Self.blockers(personID, today: today, on: conn, logger: logger)
            guard blockers.isEmpty else { throw CaseworkError.erasureRefused(blockers) }
            let documents = try await Anonymiser.person(personID, on: conn, logger: logger)
            try await CaseService.event(conn, row.id, actor.officer, "erased", "Applicant's details erased on request", logger)
            try await AuditLog.record(
                actor.audit(
                    "person.erased", target: personID.uuidString.lowercased(),
                    detail: "on request, from case \(reference); \(documents.count) documents removed; reason: \(reason)"),
                on: conn, logger: logger)
            return documents
        }
        for id in documents { await vault.discard(id, scope, logger: logger) }
        return documents.count
    }
}
