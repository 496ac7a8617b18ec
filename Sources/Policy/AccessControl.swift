import Foundation
import KerbCore

/// What a user may do: the catalogue access groups draw from (seed 001 rec 6 and 10: access
/// groups, multiple membership, least privilege). Stable raw values: they are stored.
public enum Permission: String, Sendable, Codable, CaseIterable, Comparable {
    case viewCase = "case.view"
    case editCase = "case.edit"
    case assessCase = "case.assess"
    case decideCase = "case.decide"
    case issueBadge = "badge.issue"
    case manageEnforcement = "enforcement.manage"
    case takePayments = "payments.take"
    case sendCommunications = "communications.send"
    case viewMI = "mi.view"
    case viewAudit = "audit.view"
    case runExports = "exports.run"
    case manageUsers = "users.manage"
    case managePolicy = "policy.manage"
    /// Supplier operations only: granted in `kerb_ops`, meaningless in a council's schema.
    case manageTenants = "tenants.manage"

    public static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.rawValue < rhs.rawValue }

    /// What a council's administrators may put in their access groups.
    public static let councilCatalogue: [Permission] = allCases.filter { $0 != .manageTenants }
}

/// A named set of permissions. `ownTeamsOnly` confines case permissions to cases of the
/// member's teams (a team is a compartment, like a GLA party group's casework).
public struct AccessGroup: Sendable, Equatable, Codable {
    public var name: String
    public var permissions: Set<Permission>
    public var ownTeamsOnly: Bool

    public init(name: String, permissions: Set<Permission>, ownTeamsOnly: Bool = false) {
        self.name = name
        self.permissions = permissions
        self.ownTeamsOnly = ownTeamsOnly
    }
}

/// A signed-in authority user as the policy engine sees them.
public struct Principal: Sendable, Equatable {
    public var userID: UUID
    public var groups: [AccessGroup]
    public var teams: Set<String>

    public init(userID: UUID, groups: [AccessGroup], teams: Set<String> = []) {
        self.userID = userID
        self.groups = groups
        self.teams = teams
    }
}

/// What an action is done to, as far as access rules care.
public struct AccessTarget: Sendable, Equatable {
    /// The team that owns the case, if the target is a case.
    public var team: String?
    /// Who assessed the case: that person may not decide it (separation of duties).
    public var assessedBy: UUID?

    public init(team: String? = nil, assessedBy: UUID? = nil) {
        self.team = team
        self.assessedBy = assessedBy
    }

    public static let none = AccessTarget()
}

/// The outcome of `AccessPolicy.decide`; a denial says why, for the audit log and the user.
public enum AccessDecision: Sendable, Equatable {
    case allow
    case deny(DenialReason)

    public var isAllowed: Bool { self == .allow }
}

public enum DenialReason: String, Sendable, Equatable {
    /// No group grants the permission: deny by default.
    case notGranted = "no access group grants this"
    /// Groups grant it, but only for other teams' cases.
    case outsideTeam = "the case belongs to a team you are not in"
    /// Deciding a case you assessed.
    case separationOfDuties = "you assessed this case, so someone else must decide it"
}

/// One decision function for every route (issue 3): deny by default, the union of a user's
/// groups, team scope, and separation of duties, which no group can override.
public enum AccessPolicy {
    public static func decide(_ principal: Principal, _ permission: Permission, _ target: AccessTarget = .none) -> AccessDecision {
        if permission == .decideCase, let assessor = target.assessedBy, assessor == principal.userID {
            return .deny(.separationOfDuties)
        }
        let granting = principal.groups.filter { $0.permissions.contains(permission) }
        guard !granting.isEmpty else { return .deny(.notGranted) }
        let inScope = granting.contains { group in
            !group.ownTeamsOnly || target.team.map { principal.teams.contains($0) } ?? true
        }
        return inScope ? .allow : .deny(.outsideTeam)
    }
}

/// A refusal by the policy engine: 403, with the reason the user can act on.
public struct AccessDenied: KerbError, Equatable {
    public let reason: DenialReason

    public init(reason: DenialReason) { self.reason = reason }

    public var kind: KerbErrorKind { .forbidden }
    public var code: String { "access.denied" }
    public var publicDetail: String { "You do not have permission to do this: \(reason.rawValue). Ask your council's Kerb administrator." }
}
