import Audit
import Communications
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Working a case: assigning it, noting it, and asking for and receiving evidence (the
/// processing clock pauses while the applicant is asked).
extension CaseService {
    public func assign(_ scope: TenantScope, reference: String, to user: Officer?, team: String?, as actor: Actor, logger: Logger)
        async throws
    {
        let officer = actor.officer
        if user != nil || team != nil {
            let known = try await assignees(scope, logger: logger)
            if let user, !known.people.contains(where: { $0.id == user.id }) {
                throw CaseworkError.invalid([FieldIssue(field: "assign-user", message: "Choose a colleague who can view cases")])
            }
            if let team, !known.teams.contains(team) {
                throw CaseworkError.invalid([FieldIssue(field: "assign-team", message: "Choose one of the council's teams")])
            }
        }
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed], action: "assigned",
            audit: "case.assign", logger: logger
        ) { conn, id, _, _ in
            _ = try await conn.query(
                "UPDATE applications SET assigned_to = \(user?.id), team = coalesce(\(team), team) WHERE id = \(id)", logger: logger)
            let detail = [user?.name, team.map { "team \($0)" }].compactMap { $0 }.joined(separator: ", ")
            try await Self.event(conn, id, officer, "assigned", detail, logger)
            return detail
        }
    }

    /// Asks the applicant for evidence: the items are marked requested, the case waits for the
    /// applicant and, if local policy says so, its processing clock stops until they arrive.
    public func requestEvidence(_ scope: TenantScope, reference: String, items: [String], as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        let items = items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw CaseworkError.invalid([FieldIssue(field: "items", message: "Choose or enter what is needed")]) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed],
            action: "sent an evidence request", audit: "case.request-evidence", logger: logger
        ) { conn, id, _, now in
            let pauseClock = try await LocalPolicyStore.inForce(scope, on: conn, logger: logger).casework.pauseClockAwaitingApplicant
            for item in items {
                _ = try await conn.query(
                    """
                    INSERT INTO evidence_items (application_id, kind, requested_at) VALUES (\(id), \(item), \(now))
                    ON CONFLICT (application_id, kind) DO UPDATE SET requested_at = excluded.requested_at, received_at = NULL
                    """, logger: logger)
            }
            _ = try await conn.query("UPDATE applications SET status = 'AWAITING_APPLICANT' WHERE id = \(id)", logger: logger)
            var paused = false
            for try await _ in try await conn.query(
                "SELECT 1 FROM clock_pauses WHERE application_id = \(id) AND resumed_at IS NULL", logger: logger
            ).decode(Int.self) { paused = true }
            if pauseClock, !paused {
                _ = try await conn.query(
                    "INSERT INTO clock_pauses (application_id, paused_at, reason) VALUES (\(id), \(now), 'waiting for evidence')",
                    logger: logger)
            }
            let detail = items.joined(separator: ", ") + (pauseClock ? "; clock paused" : "")
            try await Self.event(conn, id, officer, "evidence-requested", detail, logger)
            try await letter(.evidenceRequest, conn, id, officer, ["items": items], now, logger)
            return detail
        }
    }

    /// Records evidence received. When nothing requested is outstanding, the case is back with
    /// the council and its clock runs again.
    public func receiveEvidence(_ scope: TenantScope, reference: String, items: [String], as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        guard !items.isEmpty else { throw CaseworkError.invalid([FieldIssue(field: "received", message: "Choose what has arrived")]) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed], action: "given evidence",
            audit: "case.receive-evidence", logger: logger
        ) { conn, id, _, now in
            for item in items {
                _ = try await conn.query(
                    """
                    INSERT INTO evidence_items (application_id, kind, received_at) VALUES (\(id), \(item), \(now))
                    ON CONFLICT (application_id, kind) DO UPDATE SET received_at = excluded.received_at
                    """, logger: logger)
            }
            var outstanding = 0
            for try await count in try await conn.query(
                "SELECT count(*)::int FROM evidence_items WHERE application_id = \(id) AND requested_at IS NOT NULL AND received_at IS NULL",
                logger: logger
            ).decode(Int.self) { outstanding = count }
            if outstanding == 0 {
                _ = try await conn.query(
                    "UPDATE applications SET status = 'RECEIVED' WHERE id = \(id) AND status = 'AWAITING_APPLICANT'", logger: logger)
                _ = try await conn.query(
                    "UPDATE clock_pauses SET resumed_at = \(now) WHERE application_id = \(id) AND resumed_at IS NULL", logger: logger)
            }
            let detail = items.joined(separator: ", ") + (outstanding == 0 ? "; clock running" : "")
            try await Self.event(conn, id, officer, "evidence-received", detail, logger)
            return detail
        }
    }

    public func addNote(_ scope: TenantScope, reference: String, body: String, as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw CaseworkError.invalid([FieldIssue(field: "note", message: "Enter the note")]) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: Set(ApplicationStatus.allCases), action: "noted", audit: "case.note",
            logger: logger
        ) { conn, id, _, _ in
            _ = try await conn.query(
                "INSERT INTO application_notes (application_id, author_id, body) VALUES (\(id), \(officer.id), \(body))", logger: logger)
            try await Self.event(conn, id, officer, "note", String(body.prefix(80)), logger)
            return "note of \(body.count) characters"
        }
    }
}
