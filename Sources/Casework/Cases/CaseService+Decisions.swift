import Audit
import Communications
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Assessment, decision (with reasons for a refusal) and review: the statutory steps.
extension CaseService {
    /// Records the assessment; the assessor may not then decide the case.
    public func assess(_ scope: TenantScope, reference: String, findings: String, as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        let findings = findings.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !findings.isEmpty else {
            throw CaseworkError.invalid([FieldIssue(field: "findings", message: "Enter what the assessment found")])
        }
        try await change(
            scope, reference, .assessCase, as: actor, allowed: [.received, .awaitingApplicant], action: "assessed", audit: "case.assess",
            logger: logger
        ) { conn, id, _, now in
            _ = try await conn.query(
                """
                UPDATE applications SET status = 'ASSESSED', assessed_by = \(officer.id), assessed_at = \(now), assessment = \(findings)
                WHERE id = \(id)
                """, logger: logger)
            try await Self.event(conn, id, officer, "assessed", findings, logger)
            return "assessed"
        }
    }

    public enum Outcome: String, Sendable, Codable { case approved = "APPROVED", refused = "REFUSED" }

    /// Decides a case. A refusal needs at least one reason and a rationale; a review is offered
    /// unless the application came by an automatic route (seed 001 rec 4). Whoever assessed the
    /// case may not decide it (also checked by the policy engine before this is called).
    public func decide(
        _ scope: TenantScope, reference: String, outcome: Outcome, reasons: [RefusalReason], rationale: String, as actor: Actor,
        logger: Logger
    ) async throws {
        let officer = actor.officer
        let rationale = rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        if outcome == .refused {
            var issues: [FieldIssue] = []
            if reasons.isEmpty { issues.append(FieldIssue(field: "reasons", message: "A refusal must give at least one reason")) }
            if rationale.isEmpty { issues.append(FieldIssue(field: "rationale", message: "Explain the refusal in your own words")) }
            guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
        }
        try await change(
            scope, reference, .decideCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed], action: "decided",
            audit: "case.decide", separatingAssessor: true, logger: logger
        ) { conn, id, row, now in
            guard row.assessedBy != officer.id else { throw CaseworkError.assessorCannotDecide }
            let reviewOffered = outcome == .refused && !(row.eligibility?.isAutomatic ?? false)
            let codes = reasons.map(\.rawValue)
            _ = try await conn.query(
                """
                INSERT INTO decisions (application_id, outcome, reasons, rationale, review_offered, decided_by, decided_at)
                VALUES (\(id), \(outcome.rawValue), \(codes), \(rationale), \(reviewOffered), \(officer.id), \(now))
                """, logger: logger)
            _ = try await conn.query(
                "UPDATE applications SET status = \(outcome.rawValue), decided_at = \(now) WHERE id = \(id)", logger: logger)
            let detail =
                outcome == .approved
                ? "approved"
                : "refused: \(codes.joined(separator: ", "))" + (reviewOffered ? "; review offered" : "; automatic route, no review")
            try await Self.event(conn, id, officer, "decided", detail, logger)
            try await letter(
                outcome == .approved ? .approval : .refusal, conn, id, officer,
                ["reasons": reasons.map(\.text), "rationale": rationale, "reviewOffered": reviewOffered], now, logger)
            return detail
        }
    }

    /// Opens a review of a refusal that offered one, requested now. Its clock runs in working days
    /// of the council's nation (local policy `review_response_working_days`); returns the due date.
    @discardableResult
    public func requestReview(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> Date {
        let officer = actor.officer
        return try await step(
            scope, reference, .editCase, as: actor, allowed: [.refused], action: "reviewed", audit: "case.request-review",
            logger: logger
        ) { conn, id, _, requestedAt in
            let (policy, nation) = try await LocalPolicyStore.inForceWithNation(on: conn, logger: logger)
            let due = WorkingDays(nation: nation).adding(policy.casework.reviewResponseWorkingDays, to: requestedAt)
            var offered = false
            for try await value in try await conn.query(
                """
                SELECT d.review_offered AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.application_id = d.application_id)
                FROM decisions d WHERE d.application_id = \(id)
                """, logger: logger
            ).decode(Bool.self) { offered = value }
            guard offered else { throw CaseworkError.reviewNotAvailable }
            _ = try await conn.query(
                "INSERT INTO reviews (application_id, requested_at, due_on, status) VALUES (\(id), \(requestedAt), \(Self.isoDay(due))::date, 'OPEN')",
                logger: logger)
            try await Self.event(conn, id, officer, "review-requested", "due \(Self.isoDay(due))", logger)
            return ("due \(Self.isoDay(due))", due)
        }
    }

    /// Decides an open review: upheld keeps the refusal, overturned approves the application.
    /// The rationale is kept; whoever made the original decision may not review it.
    public func decideReview(
        _ scope: TenantScope, reference: String, overturn: Bool, rationale: String, as actor: Actor, logger: Logger
    ) async throws {
        let officer = actor.officer
        let rationale = rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !rationale.isEmpty else {
            throw CaseworkError.invalid([FieldIssue(field: "review-rationale", message: "Explain the review's outcome")])
        }
        try await change(
            scope, reference, .decideCase, as: actor, allowed: [.refused], action: "reviewed", audit: "case.decide-review", logger: logger
        ) { conn, id, _, now in
            var found: (UUID, UUID)?
            for try await row in try await conn.query(
                """
                SELECT r.id, d.decided_by FROM reviews r JOIN decisions d ON d.application_id = r.application_id
                WHERE r.application_id = \(id) AND r.status = 'OPEN' FOR UPDATE OF r
                """, logger: logger
            ).decode((UUID, UUID).self) { found = row }
            guard let (reviewID, originalDecider) = found else { throw CaseworkError.reviewNotAvailable }
            guard originalDecider != officer.id else { throw CaseworkError.reviewerMadeTheDecision }
            let status = overturn ? "OVERTURNED" : "UPHELD"
            _ = try await conn.query(
                """
                UPDATE reviews SET status = \(status), rationale = \(rationale), decided_by = \(officer.id), decided_at = \(now)
                WHERE id = \(reviewID)
                """, logger: logger)
            if overturn {
                _ = try await conn.query(
                    "UPDATE applications SET status = 'APPROVED', decided_at = \(now) WHERE id = \(id)", logger: logger)
            }
            try await Self.event(conn, id, officer, "review-decided", "\(status.lowercased()): \(rationale)", logger)
            try await letter(.reviewOutcome, conn, id, officer, ["overturned": overturn, "rationale": rationale], now, logger)
            return status.lowercased()
        }
    }
}
