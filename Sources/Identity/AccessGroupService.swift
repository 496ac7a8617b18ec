import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Access groups and memberships in a tenant's schema, and the `Principal` the policy engine
/// decides for. Membership changes follow local policy: with `access_changes_need_second_admin`
/// a request stays pending until a different admin approves it (seed 001 rec 10).
public struct AccessGroupService: Sendable {
    public let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    public enum Failure: KerbError, Equatable {
        case unknownPermission(String)
        case duplicateName(String)
        case selfApproval
        case nothingPending

        public var kind: KerbErrorKind {
            switch self {
            case .unknownPermission, .duplicateName: .invalid([FieldIssue(field: "group", message: publicDetail)])
            case .selfApproval: .forbidden
            case .nothingPending: .notFound
            }
        }

        public var code: String {
            switch self {
            case .unknownPermission: "identity.unknown-permission"
            case .duplicateName: "identity.duplicate-group"
            case .selfApproval: "identity.self-approval"
            case .nothingPending: "identity.nothing-pending"
            }
        }

        public var publicDetail: String {
            switch self {
            case .unknownPermission(let p): "'\(p)' is not a permission"
            case .duplicateName(let name): "There is already a group called \(name)"
            case .selfApproval: "A membership change must be approved by a different administrator"
            case .nothingPending: "There is no pending request for that membership"
            }
        }
    }

    public func createGroup(_ scope: TenantScope, _ group: AccessGroup, description: String = "", logger: Logger) async throws -> UUID {
        let permissions = group.permissions.map(\.rawValue).sorted()
        do {
            return try await database.transaction(scope, logger: logger) { conn in
                var id: UUID?
                for try await value in try await conn.query(
                    """
                    INSERT INTO access_groups (name, description, permissions, own_teams_only)
                    VALUES (\(group.name), \(description), \(permissions), \(group.ownTeamsOnly)) RETURNING id
                    """, logger: logger
                ).decode(UUID.self) { id = value }
                return id!
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw Failure.duplicateName(group.name)
        }
    }

    /// Requests membership. Active at once unless policy asks for a second admin's approval.
    @discardableResult
    public func requestMembership(
        _ scope: TenantScope, userID: UUID, groupID: UUID, requestedBy: UUID, needsApproval: Bool, now: Date, logger: Logger
    ) async throws -> UUID {
        try await database.transaction(scope, logger: logger) { conn in
            let status = needsApproval ? "pending" : "active"
            let decidedBy: UUID? = needsApproval ? nil : requestedBy
            let decidedAt: Date? = needsApproval ? nil : now
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO group_memberships (user_id, group_id, status, requested_by, requested_at, decided_by, decided_at)
                VALUES (\(userID), \(groupID), \(status), \(requestedBy), \(now), \(decidedBy), \(decidedAt)) RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            return id!
        }
    }

    /// Approves a pending request; the approver must not be the requester.
    public func approve(_ scope: TenantScope, membershipID: UUID, approver: UUID, now: Date, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            var requester: UUID??
            for try await value in try await conn.query(
                "SELECT requested_by FROM group_memberships WHERE id = \(membershipID) AND status = 'pending' FOR UPDATE", logger: logger
            ).decode(UUID?.self) { requester = .some(value) }
            guard let requester else { throw Failure.nothingPending }
            guard requester != approver else { throw Failure.selfApproval }
            _ = try await conn.query(
                "UPDATE group_memberships SET status = 'active', decided_by = \(approver), decided_at = \(now) WHERE id = \(membershipID)",
                logger: logger)
        }
    }

    public func addTeam(_ scope: TenantScope, userID: UUID, team: String, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("INSERT INTO teams (name) VALUES (\(team)) ON CONFLICT DO NOTHING", logger: logger)
            _ = try await conn.query(
                "INSERT INTO user_teams (user_id, team) VALUES (\(userID), \(team)) ON CONFLICT DO NOTHING", logger: logger)
        }
    }

    /// The user as the policy engine sees them: active memberships only. Permissions stored by a
    /// newer release and unknown to this one are ignored (deny by default).
    public func principal(_ scope: TenantScope, userID: UUID, logger: Logger) async throws -> Principal {
        try await database.transaction(scope, logger: logger) { conn in
            var groups: [AccessGroup] = []
            for try await (name, permissions, ownTeams) in try await conn.query(
                """
                SELECT g.name, g.permissions, g.own_teams_only FROM group_memberships m
                JOIN access_groups g ON g.id = m.group_id
                WHERE m.user_id = \(userID) AND m.status = 'active' ORDER BY g.name
                """, logger: logger
            ).decode((String, [String], Bool).self) {
                groups.append(
                    AccessGroup(name: name, permissions: Set(permissions.compactMap(Permission.init(rawValue:))), ownTeamsOnly: ownTeams))
            }
            var teams: Set<String> = []
            for try await team in try await conn.query("SELECT team FROM user_teams WHERE user_id = \(userID)", logger: logger)
                .decode(String.self)
            { teams.insert(team) }
            return Principal(userID: userID, groups: groups, teams: teams)
        }
    }
}
