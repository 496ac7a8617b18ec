import Audit
import Foundation
import KerbCore
import Logging
import PostgresNIO
import Storage

/// Changes that switch sign-in protection off (two-factor authentication, second-administrator
/// approval of access changes) are never applied by the administrator who makes them: they are
/// proposed, and a different administrator approves them (OWASP ASVS: security settings need a
/// second person). The statutory baseline can forbid switching 2FA off altogether
/// (`mfa_mandatory`), which `PolicyCheck` refuses before anything is proposed.
extension LocalPolicyStore {
    /// A change waiting for a second administrator.
    public struct Proposal: Sendable, Equatable {
        public let id: UUID
        public let document: LocalPolicyDocument
        public let reason: String
        public let weakens: [String]
        public let proposedBy: UUID
        public let proposedByName: String
        public let proposedAt: Date
    }

    /// What a change from `old` to `new` switches off that needs a second administrator.
    public static func weakens(from old: LocalPolicyDocument, to new: LocalPolicyDocument) -> [String] {
        var weakened: [String] = []
        if old.security.mfaRequired && !new.security.mfaRequired { weakened.append("two-factor authentication") }
        if old.security.accessChangesNeedSecondAdmin && !new.security.accessChangesNeedSecondAdmin {
            weakened.append("second-administrator approval of access changes")
        }
        return weakened
    }

    /// What became of a submitted change.
    public enum Submission: Sendable, Equatable {
        /// In force as this version.
        case saved(version: Int)
        /// It switches protection off, so it waits for another administrator.
        case proposed(UUID)
    }

    /// An administrator's change: in force at once, or, when it switches protection off,
    /// proposed for a second administrator. The page and any later API call the same step.
    public func submit(
        _ scope: TenantScope, to document: LocalPolicyDocument, reason: String, actor: AuditEvent, logger: Logger
    ) async throws -> Submission {
        do {
            return .saved(version: try await change(scope, to: document, reason: reason, actor: actor, logger: logger))
        } catch Failure.needsSecondAdministrator {
            return .proposed(try await propose(scope, to: document, reason: reason, actor: actor, logger: logger))
        }
    }

    /// Keeps a weakening change (checked against the guardrails now) until another
    /// administrator approves it. Audited in the same transaction.
    @discardableResult
    public func propose(
        _ scope: TenantScope, to document: LocalPolicyDocument, reason: String, actor: AuditEvent, logger: Logger
    ) async throws -> UUID {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try PolicyCheck.validate(document, within: try PolicyFile.bundledGuardrails(try await nation(scope, logger: logger)))
        guard !reason.isEmpty else { throw Failure.reasonMissing }
        guard let proposer = actor.actorID else { throw Failure.ownProposal }
        let weakened = Self.weakens(from: try await current(scope, logger: logger).document, to: document)
        let json = PolicyFile.json(document)
        return try await database.transaction(scope, logger: logger) { conn in
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO policy_proposals (document, reason, weakens, proposed_by, proposed_by_name)
                VALUES (\(json)::jsonb, \(reason), \(weakened), \(proposer), \(actor.actor)) RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            guard let id else { throw Failure.noSuchProposal }
            var event = actor
            event.action = "policy.propose"
            event.target = id.uuidString
            event.detail = "switches off " + weakened.joined(separator: " and ") + ": " + reason
            try await AuditLog.record(event, on: conn, logger: logger)
            return id
        }
    }

    /// Changes waiting for a second administrator, oldest first.
    public func pendingProposals(_ scope: TenantScope, logger: Logger) async throws -> [Proposal] {
        let rows = try await database.transaction(scope, logger: logger) { conn in
            var rows: [(UUID, String, String, [String], UUID, String, Date)] = []
            for try await row in try await conn.query(
                """
                SELECT id, document::text, reason, weakens, proposed_by, proposed_by_name, proposed_at
                FROM policy_proposals WHERE status = 'pending' ORDER BY proposed_at
                """, logger: logger
            ).decode((UUID, String, String, [String], UUID, String, Date).self) { rows.append(row) }
            return rows
        }
        return try rows.map {
            Proposal(
                id: $0.0, document: try PolicyFile.parseLocal(json: $0.1), reason: $0.2, weakens: $0.3, proposedBy: $0.4,
                proposedByName: $0.5, proposedAt: $0.6)
        }
    }

    /// Applies a proposed change as the next version: only by an administrator other than the
    /// one who proposed it, and only while the guardrails still allow it.
    @discardableResult
    public func approve(_ scope: TenantScope, proposal id: UUID, actor: AuditEvent, logger: Logger) async throws -> Int {
        guard let proposal = try await pendingProposals(scope, logger: logger).first(where: { $0.id == id }) else {
            throw Failure.noSuchProposal
        }
        guard let approver = actor.actorID, approver != proposal.proposedBy else { throw Failure.ownProposal }
        return try await apply(
            scope, proposal.document, reason: "\(proposal.reason) (proposed by \(proposal.proposedByName))", actor: actor,
            approvedWeakening: true, logger: logger
        ) { conn in
            // Marked approved in the change's own transaction: two approvals at once apply it once.
            var marked = false
            for try await _ in try await conn.query(
                """
                UPDATE policy_proposals SET status = 'approved', decided_by = \(approver), decided_by_name = \(actor.actor),
                    decided_at = now()
                WHERE id = \(id) AND status = 'pending' RETURNING id
                """, logger: logger
            ).decode(UUID.self) { marked = true }
            guard marked else { throw Failure.noSuchProposal }
        }
    }
}
