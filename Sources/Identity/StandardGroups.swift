import Policy
import Storage

/// The access groups every council starts with, so its first administrator can hand out access
/// on day one. Councils rename, change, confine to teams or add groups afterwards.
public enum StandardGroups {
    public static let all: [(group: AccessGroup, description: String)] = [
        (
            AccessGroup(name: "Administrators", permissions: [.manageUsers, .managePolicy, .viewAudit, .runExports, .viewMI]),
            "Manage users, access groups and local policy"
        ),
        (
            AccessGroup(name: "Case officers", permissions: [.viewCase, .editCase, .assessCase, .sendCommunications, .takePayments]),
            "Take in and assess applications"
        ),
        (
            AccessGroup(name: "Decision makers", permissions: [.viewCase, .decideCase, .issueBadge]),
            "Decide applications and issue badges (never on a case they assessed)"
        ),
        (
            AccessGroup(name: "Enforcement officers", permissions: [.viewCase, .manageEnforcement]),
            "Investigate misuse of badges"
        ),
        (
            AccessGroup(name: "Managers", permissions: [.viewCase, .viewMI, .runExports]),
            "Management information and exports"
        ),
        (
            AccessGroup(name: "Auditors", permissions: [.viewAudit, .viewMI]),
            "Read the audit trail and reports"
        ),
    ]

    /// Creates the standard groups and makes the first administrator a member of Administrators.
    /// Runs inside the tenant's scope, in the onboarding transaction.
    public static func seed(_ session: AdminSession, firstAdminEmail: String) throws {
        for (group, description) in all {
            let permissions = "{" + group.permissions.map(\.rawValue).sorted().joined(separator: ",") + "}"
            try session.query(
                "INSERT INTO access_groups (name, description, permissions, own_teams_only) VALUES ($1, $2, $3::text[], $4::boolean)",
                [group.name, description, permissions, group.ownTeamsOnly ? "true" : "false"])
        }
        try session.query(
            """
            INSERT INTO group_memberships (user_id, group_id, status, decided_at)
            SELECT u.id, g.id, 'active', now() FROM users u, access_groups g
            WHERE lower(u.email) = lower($1) AND g.name = 'Administrators'
            """, [firstAdminEmail])
    }
}
