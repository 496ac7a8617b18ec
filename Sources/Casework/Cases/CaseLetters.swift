import Communications
import Foundation
import Logging
import Policy
import PostgresNIO

/// Letters about a case: the facts every letter may quote, the council's policy figures, and
/// the record on the case's timeline, all in the caller's transaction.
struct CaseLetters: Sendable {
    let letters: Letters

    /// Renders and records a letter for the case, with the facts every letter may quote.
    func record(
        _ kind: LetterKind, _ conn: PostgresConnection, _ id: UUID, _ officer: Officer, _ extra: [String: any Sendable], now: Date,
        _ logger: Logger
    ) async throws {
        var facts: (String, String, String, String, Date?)?
        for try await row in try await conn.query(
            """
            SELECT (SELECT display_name FROM profile), p.full_name, p.preferred_channel, a.reference, a.received_at
            FROM applications a JOIN people p ON p.id = a.person_id WHERE a.id = \(id)
            """, logger: logger
        ).decode((String, String, String, String, Date?).self) { facts = row }
        guard let facts else { throw CaseworkError.noSuchCase }
        let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger)
        var context: [String: any Sendable] = [
            "council": facts.0, "applicant": facts.1, "reference": facts.3, "date": CaseService.longDate(now),
            "received": facts.4.map(CaseService.longDate) ?? "", "targetDays": policy.casework.processingTargetDays,
            "reviewDays": policy.casework.reviewResponseWorkingDays, "feeDue": policy.badge.feePence > 0,
            "fee": String(format: "£%d.%02d", policy.badge.feePence / 100, policy.badge.feePence % 100),
        ]
        context.merge(extra) { $1 }
        try await letters.record(kind, applicationID: id, channel: facts.2, context: context, by: officer.id, on: conn, logger: logger)
        try await CaseService.event(conn, id, officer, "letter", kind.title, logger)
        // Whoever acts for the applicant and may receive letters gets a copy, addressed to them.
        for representative in try await CaseService.representatives(conn, applicationID: id, logger) where representative.mayReceive {
            var copy = context
            copy["applicant"] = representative.fullName
            copy["copyFor"] = facts.1
            try await letters.record(kind, applicationID: id, channel: "letter", context: copy, by: officer.id, on: conn, logger: logger)
            try await CaseService.event(
                conn, id, officer, "letter",
                "\(kind.title), copy to \(representative.fullName) (\(representative.relationship.label.lowercased()))",
                logger)
        }
    }

}
