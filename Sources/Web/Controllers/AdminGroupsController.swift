import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Access groups and membership decisions: the groups with their permissions, requests waiting
/// for a second administrator (never the one who asked), creating groups, and removing people.
struct AdminGroupsController: Sendable {
    let identity: IdentityServices
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/groups", .manageUsers, use: list)
        group.post("admin/groups", .manageUsers, use: create)
        group.post("admin/memberships/:membership/approve", .manageUsers) { request, context in
            try await decide(request, context, approve: true)
        }
        group.post("admin/memberships/:membership/reject", .manageUsers) { request, context in
            try await decide(request, context, approve: false)
        }
        group.post("admin/memberships/:membership/revoke", .manageUsers, use: revoke)
    }

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
            let ownRequest: Bool
        }

        let groups: [Group]
        let pending: [Pending]
        let csrf: String
        let form: FormModel
        let layout: Layout
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        return try await render(context, user)
    }

    @Sendable func create(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let form = try await request.decode(as: AccessGroupForm.self, context: context)
        guard !form.name.isEmpty else {
            return try await render(
                context, user, form: form, issues: [FieldIssue(field: "name", message: "Enter a name for the group")],
                status: .unprocessableContent)
        }
        let permissions = Set(Permission.councilCatalogue.filter(form.grants))
        do {
            try await identity.groups.createGroup(
                context.tenant.scope, AccessGroup(name: form.name, permissions: permissions, ownTeamsOnly: form.ownTeamsOnly),
                description: form.description, audit: AccessGuard.actor(user, context), logger: context.logger)
        } catch let error as AccessGroupService.Failure {
            guard case .invalid = error.kind else { throw error }
            return try await render(
                context, user, form: form, issues: [FieldIssue(field: "name", message: error.publicDetail)], status: .unprocessableContent)
        }
        return .redirect(to: context.basePath + "/admin/groups")
    }

    private func decide(_ request: Request, _ context: SignedInRequestContext, approve: Bool) async throws -> Response {
        let user = context.user
        try await identity.groups.approve(
            context.tenant.scope, membershipID: try Self.membershipID(context), approver: user.userID, now: identity.clock.now(),
            approved: approve,
            audit: AccessGuard.actor(user, context), logger: context.logger)
        return .redirect(to: context.basePath + "/admin/groups")
    }

    @Sendable func revoke(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        try await identity.groups.revoke(
            context.tenant.scope, membershipID: try Self.membershipID(context), by: AccessGuard.actor(user, context),
            now: identity.clock.now(),
            logger: context.logger)
        return .redirect(
            to: request.headers[.referer].flatMap { $0.contains("/admin/") ? URL(string: $0)?.path : nil } ?? context.basePath
                + "/admin/groups")
    }

    private func render(
        _ context: SignedInRequestContext, _ user: SignedInUser, form: AccessGroupForm? = nil, issues: [FieldIssue] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let scope = context.tenant.scope
        let groups = try await identity.groups.groups(scope, logger: context.logger)
        let pending = try await identity.groups.memberships(scope, logger: context.logger)
        var fields = [
            FormField(name: "name", label: "Group name", value: form?.name ?? ""),
            FormField(name: "description", label: "What the group is for", value: form?.description ?? ""),
        ]
        fields += Permission.councilCatalogue.map {
            FormField.choice(of: "permissions", $0.rawValue, label: Self.describe($0), checked: form?.grants($0) ?? false)
        }
        fields.append(
            FormField(
                name: "own-teams-only", label: "Only for cases of the member's own teams",
                hint: "For compartments such as a party group's casework", kind: .checkbox, checked: form?.ownTeamsOnly ?? false))
        let model = FormModel(action: context.basePath + "/admin/groups", csrf: context.csrfToken, fields: fields, submit: "Create group")
        let base = context.basePath + "/admin/memberships/"
        return try pages.render(
            "admin-groups",
            GroupsPage(
                groups: groups.map {
                    GroupsPage.Group(
                        name: $0.name, description: $0.description, permissions: $0.permissions.map(Self.describe),
                        scope: $0.ownTeamsOnly ? "Own teams' cases only" : "All cases", members: $0.members)
                },
                pending: pending.map {
                    GroupsPage.Pending(
                        user: $0.userName, group: $0.groupName, requestedBy: $0.requestedByName ?? "—",
                        requestedAt: Formats.dateTime($0.requestedAt),
                        approveHref: base + "\($0.id)/approve", rejectHref: base + "\($0.id)/reject",
                        ownRequest: $0.requestedBy == user.userID)
                },
                csrf: context.csrfToken, form: model.with(errors: issues), layout: .council(context, current: "/admin/groups")),
            status: status)
    }

    static func describe(_ permission: Permission) -> String {
        switch permission {
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

    static func membershipID(_ context: SignedInRequestContext) throws -> UUID {
        try context.parameters.require("membership", as: UUID.self)
    }
}
