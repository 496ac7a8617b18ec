import Audit
import Logging
import Policy
import PostgresNIO
import Storage

/// The resource-level half of every casework decision: whether this actor may do this to this
/// case (its team, who assessed it), decided inside the use case's transaction on the row it
/// locked, so the check and the change see the same case.
///
/// A refusal rolls the step back and is then written to the council's audit trail in a
/// transaction of its own. A refusal because the case belongs to another team answers exactly
/// like a case that does not exist (`hidden`), so nobody can probe for other teams' cases.
struct CaseAccess: Sendable {
    let database: TenantDatabase

    /// Thrown inside a use case's transaction; `run` turns it into an audited refusal.
    struct Refusal: Error {
        let event: AuditEvent
        let answer: any Error
    }

    /// Throws a `Refusal` unless `actor` may do `permission` to `target`.
    static func check(
        _ actor: Actor, _ permission: Permission, _ target: AccessTarget, resource: String, hidden: any Error
    ) throws {
        guard case .deny(let reason) = AccessPolicy.decide(actor.principal, permission, target) else { return }
        let event = actor.audit(
            "access.denied", target: "\(permission.rawValue) \(resource)", detail: reason.rawValue, outcome: .denied)
        throw Refusal(event: event, answer: reason == .outsideTeam ? hidden : AccessDenied(reason: reason))
    }

    /// Runs a use case's transaction; a refusal raised inside it is audited after the rollback
    /// and answered as the policy engine said.
    func run<T: Sendable>(
        _ scope: TenantScope, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await auditingRefusals(scope, logger: logger) { try await database.transaction(scope, logger: logger, body) }
    }

    /// A read (nothing changed, so nothing needs rolling back): a refusal raised in `work` is
    /// audited as in `run`.
    func reading<T: Sendable>(_ scope: TenantScope, logger: Logger, _ work: () async throws -> T) async throws -> T {
        try await auditingRefusals(scope, logger: logger, work)
    }

    private func auditingRefusals<T>(_ scope: TenantScope, logger: Logger, _ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let refusal as Refusal {
            try await AuditLog.record(refusal.event, database: database, scope: scope, logger: logger)
            logger.notice("access denied", metadata: ["kerb.action": .string(refusal.event.target)])
            throw refusal.answer
        }
    }
}
