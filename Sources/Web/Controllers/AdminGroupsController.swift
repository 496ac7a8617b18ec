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
        let groups = try await identity.groups.groups(context.tenant.scope, logger: context.logger)
        let pending = try await identity.groups.memberships(context.tenant.scope, logger: context.logger)
        return try pages.render(
            "admin-groups", GroupsPage(groups: groups, pending: pending, viewer: user, form: form, issues: issues, in: context),
            status: status)
    }

    static func membershipID(_ context: SignedInRequestContext) throws -> UUID {
        try context.parameters.require("membership", as: UUID.self)
    }
}
