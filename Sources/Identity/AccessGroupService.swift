import Audit
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
        case alreadyMember
        case invalidTeam

        public var kind: KerbErrorKind {
            switch self {
            case .unknownPermission, .duplicateName: .invalid([FieldIssue(field: "group", message: publicDetail)])
            case .selfApproval: .forbidden
            case .nothingPending: .notFound
            case .alreadyMember: .invalid([FieldIssue(field: "group", message: publicDetail)])
            case .invalidTeam: .invalid([FieldIssue(field: "team", message: publicDetail)])
            }
        }

        public var code: String {
            switch self {
            case .unknownPermission: "identity.unknown-permission"
            case .duplicateName: "identity.duplicate-group"
            case .selfApproval: "identity.self-approval"
            case .nothingPending: "identity.nothing-pending"
            case .alreadyMember: "identity.already-member"
            case .invalidTeam: "identity.invalid-team"
            }
        }

        public var publicDetail: String {
            switch self {
            case .unknownPermission(let p): "'\(p)' is not a permission"
            case .duplicateName(let name): "There is already a group called \(name)"
            case .selfApproval: "A membership change must be approved by a different administrator"
            case .nothingPending: "There is no pending request for that membership"
            case .alreadyMember: "They are already in that group, or a request for it is waiting for approval"
            case .invalidTeam: "Enter a team name of up to 80 characters"
            }
        }
    }

    @discardableResult
    public func createGroup(
        _ scope: TenantScope, _ group: AccessGroup, description: String = "", audit: AuditEvent? = nil, logger: Logger
    ) async throws -> UUID {
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
                if var event = audit {
                    event.action = "groups.create"
                    event.target = group.name
                    event.detail = permissions.joined(separator: " ")
                    try await AuditLog.record(event, on: conn, logger: logger)
                }
                return id!
            }
        } catch  where DatabaseRefusal.refused(error, with: DatabaseRefusal.uniqueViolation) {
            throw Failure.duplicateName(group.name)
        }
    }

    /// Requests membership. Active at once unless policy asks for a second admin's approval.
    @discardableResult
    public func requestMembership(
        _ scope: TenantScope, userID: UUID, groupID: UUID, requestedBy: UUID, needsApproval: Bool, now: Date,
        audit: AuditEvent? = nil, logger: Logger
    ) async throws -> UUID {
        try await database.transaction(scope, logger: logger) { conn in
            let id = try await Self.insertMembership(
                conn, userID: userID, groupID: groupID, requestedBy: requestedBy, needsApproval: needsApproval, now: now, logger: logger)
            if var event = audit {
                event.action = needsApproval ? "groups.request" : "groups.add"
                event.target = "\(userID.uuidString) → \(groupID.uuidString)"
                try await AuditLog.record(event, on: conn, logger: logger)
            }
            return id
        }
    }

    @discardableResult
    static func insertMembership(
        _ conn: PostgresConnection, userID: UUID, groupID: UUID, requestedBy: UUID?, needsApproval: Bool, now: Date, logger: Logger
    ) async throws -> UUID {
        let status = needsApproval ? "pending" : "active"
        let decidedBy: UUID? = needsApproval ? nil : requestedBy
        let decidedAt: Date? = needsApproval ? nil : now
        do {
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO group_memberships (user_id, group_id, status, requested_by, requested_at, decided_by, decided_at)
                VALUES (\(userID), \(groupID), \(status), \(requestedBy), \(now), \(decidedBy), \(decidedAt)) RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            return id!
        } catch  where DatabaseRefusal.refused(error, with: DatabaseRefusal.uniqueViolation) {
            throw Failure.alreadyMember
        } catch  where DatabaseRefusal.refused(error, with: DatabaseRefusal.foreignKeyViolation) {
            throw Failure.nothingPending
        }
    }

    /// Approves (or rejects) a pending request; the approver must not be the requester.
    public func approve(
        _ scope: TenantScope, membershipID: UUID, approver: UUID, now: Date, approved: Bool = true, audit: AuditEvent? = nil,
        logger: Logger
    ) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            var requester: UUID??
            for try await value in try await conn.query(
                "SELECT requested_by FROM group_memberships WHERE id = \(membershipID) AND status = 'pending' FOR UPDATE", logger: logger
            ).decode(UUID?.self) { requester = .some(value) }
            guard let requester else { throw Failure.nothingPending }
            guard requester != approver else { throw Failure.selfApproval }
            let status = approved ? "active" : "rejected"
            _ = try await conn.query(
                """
                UPDATE group_memberships SET status = \(status), decided_by = \(approver), decided_at = \(now)
                WHERE id = \(membershipID)
                """, logger: logger)
            if var event = audit {
                event.action = approved ? "groups.approve" : "groups.reject"
                event.target = membershipID.uuidString
                try await AuditLog.record(event, on: conn, logger: logger)
            }
        }
    }

    /// Ends an active membership; the row stays as history.
    public func revoke(_ scope: TenantScope, membershipID: UUID, by actor: AuditEvent, now: Date, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            var found = false
            for try await _ in try await conn.query(
                """
                UPDATE group_memberships SET status = 'revoked', decided_by = \(actor.actorID), decided_at = \(now)
                WHERE id = \(membershipID) AND status = 'active' RETURNING id
                """, logger: logger
            ).decode(UUID.self) { found = true }
            guard found else { throw Failure.nothingPending }
            var event = actor
            event.action = "groups.revoke"
            event.target = membershipID.uuidString
            try await AuditLog.record(event, on: conn, logger: logger)
        }
    }

    public struct GroupSummary: Sendable {
        public let id: UUID
        public let name: String
        public let description: String
        public let permissions: [Permission]
        public let ownTeamsOnly: Bool
        public let members: Int
    }

    public func groups(_ scope: TenantScope, logger: Logger) async throws -> [GroupSummary] {
        try await database.transaction(scope, logger: logger) { conn in
            var groups: [GroupSummary] = []
            for try await (id, name, description, permissions, ownTeams, members) in try await conn.query(
                """
                SELECT g.id, g.name, g.description, g.permissions, g.own_teams_only,
                    (SELECT count(*) FROM group_memberships m WHERE m.group_id = g.id AND m.status = 'active')::int
                FROM access_groups g ORDER BY lower(g.name)
                """, logger: logger
            ).decode((UUID, String, String, [String], Bool, Int).self) {
                groups.append(
                    GroupSummary(
                        id: id, name: name, description: description,
                        permissions: permissions.compactMap(Permission.init(rawValue:)).sorted(),
                        ownTeamsOnly: ownTeams, members: members))
            }
            return groups
        }
    }

    /// A membership as the admin pages list it: pending requests and a user's current groups.
    public struct Membership: Sendable {
        public let id: UUID
        public let userID: UUID
        public let userName: String
        public let groupName: String
        public let status: String
        public let requestedBy: UUID?
        public let requestedByName: String?
        public let requestedAt: Date
    }

    /// Pending requests (`userID` nil) or one user's pending and active memberships.
    public func memberships(_ scope: TenantScope, userID: UUID? = nil, logger: Logger) async throws -> [Membership] {
        try await database.transaction(scope, logger: logger) { conn in
            var rows: [Membership] = []
            for try await row in try await conn.query(
                """
                SELECT m.id, u.id, u.full_name, g.name, m.status, m.requested_by, r.full_name, m.requested_at
                FROM group_memberships m JOIN users u ON u.id = m.user_id JOIN access_groups g ON g.id = m.group_id
                LEFT JOIN users r ON r.id = m.requested_by
                WHERE (\(userID)::uuid IS NULL AND m.status = 'pending') OR (m.user_id = \(userID) AND m.status IN ('pending', 'active'))
                ORDER BY m.requested_at
                """, logger: logger
            ).decode((UUID, UUID, String, String, String, UUID?, String?, Date).self) {
                rows.append(
                    Membership(
                        id: row.0, userID: row.1, userName: row.2, groupName: row.3, status: row.4, requestedBy: row.5,
                        requestedByName: row.6,
                        requestedAt: row.7))
            }
            return rows
        }
    }

    /// Puts a user in a team (created on first use). Teams scope access groups marked "own
    /// teams only" (a case belongs to a team; GLA party groups are such compartments).
    public func addTeam(_ scope: TenantScope, userID: UUID, team: String, audit: AuditEvent? = nil, logger: Logger) async throws {
        let team = team.trimmingCharacters(in: .whitespaces)
        guard !team.isEmpty, team.count <= 80 else { throw Failure.invalidTeam }
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("INSERT INTO teams (name) VALUES (\(team)) ON CONFLICT DO NOTHING", logger: logger)
            _ = try await conn.query(
                "INSERT INTO user_teams (user_id, team) VALUES (\(userID), \(team)) ON CONFLICT DO NOTHING", logger: logger)
            if var event = audit {
                event.action = "teams.add"
                event.target = "\(userID.uuidString) → \(team)"
                try await AuditLog.record(event, on: conn, logger: logger)
            }
        }
    }

    public func removeTeam(_ scope: TenantScope, userID: UUID, team: String, audit: AuditEvent, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("DELETE FROM user_teams WHERE user_id = \(userID) AND team = \(team)", logger: logger)
            var event = audit
            event.action = "teams.remove"
            event.target = "\(userID.uuidString) → \(team)"
            try await AuditLog.record(event, on: conn, logger: logger)
        }
    }

    /// The user as the policy engine sees them: active memberships only. Permissions stored by a
    /// newer release and unknown to this one are ignored (deny by default).
    public func principal(_ scope: TenantScope, userID: UUID, logger: Logger) async throws -> Principal {
        try await database.transaction(scope, logger: logger) { conn in try await Self.principal(conn, userID: userID, logger: logger) }
    }

    /// The same, inside a caller's transaction (the per-request session check uses it).
    static func principal(_ conn: PostgresConnection, userID: UUID, logger: Logger) async throws -> Principal {
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
