import Audit
import Foundation
import Policy

/// Who does a casework step: a signed-in person or a council's API key (whose permissions stand
/// in for access groups), with what the policy engine needs to decide and what the timeline and
/// the audit trail record. Every use case takes one; none trusts its caller to have checked.
public struct Actor: Sendable {
    /// The name and id a case's timeline and letters show.
    public let officer: Officer
    public let principal: Principal
    /// The request this step belongs to, so an audit row leads to the request log and back.
    public let requestID: String
    /// Where the request came from (the client's address), kept with every record they open.
    public let client: String

    public init(officer: Officer, principal: Principal, requestID: String = "", client: String = "") {
        self.officer = officer
        self.principal = principal
        self.requestID = requestID
        self.client = client
    }

    /// This actor as the record-view log keeps them.
    public var viewer: Viewer { Viewer(actorID: officer.id, actor: officer.name, client: client, requestID: requestID) }

    /// Whether the policy engine lets this actor do `permission` to `target` (for showing or
    /// hiding a page's forms; the use case decides again when the form is sent).
    public func may(_ permission: Permission, _ target: AccessTarget = .none) -> Bool {
        AccessPolicy.decide(principal, permission, target).isAllowed
    }

    /// The teams whose cases this actor may see, count or be warned about, or nil for all. They
    /// are confined to their own teams if, for any of `permissions` they hold, every group granting
    /// it is confined: the strictest reading, so someone confined for cases is confined in the
    /// figures too, whatever other group lets them see figures.
    public func visibleTeams(through permissions: [Permission] = [.viewCase]) -> Set<String>? {
        let groups = principal.groups
        let granting = permissions.map { permission in groups.filter { $0.permissions.contains(permission) } }.filter { !$0.isEmpty }
        let confined = granting.isEmpty || granting.contains { $0.allSatisfy(\.ownTeamsOnly) }
        return confined ? principal.teams : nil
    }

    /// The team a case this actor opens goes to (nil: the council's default team). Someone
    /// confined to teams that do not include the default one opens cases in the first of their
    /// teams by name, so the case they open stays theirs to work.
    public var newCaseTeam: String? {
        guard let visible = visibleTeams(through: [.viewCase, .editCase]), !visible.contains(CaseService.defaultTeam) else {
            return nil
        }
        return visible.min()
    }

    /// An audit entry by this actor.
    public func audit(_ action: String, target: String, detail: String = "", outcome: AuditEvent.Outcome = .done) -> AuditEvent {
        AuditEvent(
            actorID: officer.id, actor: officer.name, action: action, target: target, outcome: outcome, detail: detail,
            requestID: requestID)
    }
}
