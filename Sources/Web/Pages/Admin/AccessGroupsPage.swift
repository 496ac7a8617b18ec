import Identity
import KerbCore
import Policy

/// The access groups page (`admin-groups`): the groups with their permissions, memberships
/// waiting for a second administrator, and the form for a new group.
struct GroupsPage: Sendable {
    struct Group: Sendable {
        let name: String
        let description: String
        let permissions: [String]
        let scope: String
        let members: Int
    }

    struct Pending: Sendable {
        let user: String
        let group: String
        let requestedBy: String
        let requestedAt: String
        let approveHref: String
        let rejectHref: String
        /// The viewer asked for it, so someone else must decide.
        let ownRequest: Bool
    }

    let groups: [Group]
    let pending: [Pending]
    let csrf: String
    let form: FormModel
    let layout: Layout

    init(
        groups: [AccessGroupService.GroupSummary], pending: [AccessGroupService.Membership], viewer: SignedInUser,
        form: AccessGroupForm?, issues: [FieldIssue], in context: some CouncilRequestContext
    ) {
        let base = context.basePath + "/admin/memberships/"
        self.groups = groups.map {
            Group(
                name: $0.name, description: $0.description, permissions: $0.permissions.map(\.label),
                scope: $0.ownTeamsOnly ? "Own teams' cases only" : "All cases", members: $0.members)
        }
        self.pending = pending.map {
            Pending(
                user: $0.userName, group: $0.groupName, requestedBy: $0.requestedByName ?? "—",
                requestedAt: Formats.dateTime($0.requestedAt),
                approveHref: base + "\($0.id)/approve", rejectHref: base + "\($0.id)/reject", ownRequest: $0.requestedBy == viewer.userID)
        }
        csrf = context.csrfToken
        self.form = Self.newGroupForm(form, in: context).with(errors: issues)
        layout = .council(context, current: "/admin/groups")
    }

    static func newGroupForm(_ form: AccessGroupForm?, in context: some CouncilRequestContext) -> FormModel {
        let fields =
            [
                FormField(name: "name", label: "Group name", value: form?.name ?? ""),
                FormField(name: "description", label: "What the group is for", value: form?.description ?? ""),
            ]
            + Permission.councilCatalogue.map {
                FormField.choice(of: "permissions", $0.rawValue, label: $0.label, checked: form?.grants($0) ?? false)
            } + [
                FormField(
                    name: "own-teams-only", label: "Only for cases of the member's own teams",
                    hint: "For compartments such as a party group's casework", kind: .checkbox, checked: form?.ownTeamsOnly ?? false)
            ]
        return FormModel(action: context.basePath + "/admin/groups", csrf: context.csrfToken, fields: fields, submit: "Create group")
    }
}

extension Permission {
    /// What an administrator reads for the permission.
    var label: String {
        switch self {
        case .viewCase: "View cases"
        case .editCase: "Create and edit cases"
        case .assessCase: "Assess applications"
        case .decideCase: "Decide applications"
        case .issueBadge: "Issue badges"
        case .manageEnforcement: "Manage enforcement"
        case .takePayments: "Take payments"
        case .sendCommunications: "Send letters and messages"
        case .viewMI: "View management information"
        case .viewAudit: "View the audit trail"
        case .runExports: "Run exports"
        case .manageUsers: "Manage users and access groups"
        case .managePolicy: "Manage local policy"
        case .manageTenants: "Onboard, suspend and resume councils (supplier operations)"
        }
    }
}
