import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Authority admins' user pages: everyone's status, groups, 2FA and password age (who is due
/// for rotation), inviting people, unlocking, disabling and signing a user out everywhere.
/// Every route asks the policy engine for `users.manage` first.
struct AdminUsersController: Sendable {
    let identity: IdentityServices
    let access: AccessGuard
    let pages: Pages
    /// Set-up links are built from this, never from the request's Host.
    let publicBaseURL: PublicBaseURL

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/users", .manageUsers, use: list)
        group.get("admin/users/new", .manageUsers, use: invitePage)
        group.post("admin/users/new", .manageUsers, use: invite)
        group.get("admin/users/:user", .manageUsers, use: show)
        group.post("admin/users/:user/unlock", .manageUsers, use: unlock)
        group.post("admin/users/:user/disable", .manageUsers, use: disable)
        group.post("admin/users/:user/sign-out-everywhere", .manageUsers, use: signOutEverywhere)
        group.post("admin/users/:user/groups", .manageUsers, use: addToGroup)
        group.post("admin/users/:user/teams", .manageUsers, use: addToTeam)
        group.post("admin/users/:user/teams/remove", .manageUsers, use: removeFromTeam)
    }

    struct ListPage: Sendable {
        struct Row: Sendable {
            let name: String
            let href: String
            let email: String
            let status: String
            let groups: String
            let twoFactor: String
            let passwordDue: String
            let due: Bool
            let locked: Bool
        }

        let rows: [Row]
        let dueCount: Int
        let rotationNote: String
        let inviteHref: String
        let layout: Layout
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let now = identity.clock.now()
        let maxAge = user.security.passwordMaxAgeDays
        let soon = now.addingTimeInterval(14 * 86_400)
        let accounts = try await identity.users.list(context.tenant.scope, logger: context.logger)
        let rows = accounts.map { account in
            let due = account.passwordDue(maxAgeDays: maxAge)
            return ListPage.Row(
                name: account.fullName, href: "\(context.basePath)/admin/users/\(account.id)", email: account.email,
                status: account.status.capitalized,
                groups: (account.groups + account.pendingGroups.map { "\($0) (pending)" }).joined(separator: ", "),
                twoFactor: account.hasTOTP ? "On" : "Off", passwordDue: due.map(Formats.date) ?? "—",
                due: account.status == "active" && due.map { $0 < soon } ?? false, locked: account.isLocked(at: now))
        }
        let note =
            maxAge > 0
            ? "Your local policy makes everyone change their password every \(maxAge) days; those due within 14 days are marked."
            : "Your local policy does not force password changes."
        return try pages.render(
            "admin-users",
            ListPage(
                rows: rows, dueCount: rows.filter(\.due).count, rotationNote: note, inviteHref: context.basePath + "/admin/users/new",
                layout: .council(context, current: "/admin/users")))
    }

    @Sendable func invitePage(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        return try await renderInvite(context, user)
    }

    @Sendable func invite(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let form = try await request.decode(as: InviteForm.self, context: context)
        let groups = try await identity.groups.groups(context.tenant.scope, logger: context.logger)
        let chosen = groups.map(\.id).filter(form.chose)
        do {
            let (_, token) = try await identity.users.invite(
                context.tenant.scope, fullName: form.fullName, email: form.email, groupIDs: chosen,
                needsApproval: user.security.accessChangesNeedSecondAdmin, by: AccessGuard.actor(user, context), now: identity.clock.now(),
                link: { [publicBaseURL, slug = context.tenant.slug] in publicBaseURL.council(slug, "/setup?token=\($0.token)") },
                logger: context.logger)
            let link = publicBaseURL.council(context.tenant.slug, "/setup?token=\(token.token)")
            return try pages.render(
                "message",
                MessagePage.accountCreated(
                    for: form.fullName, link: link,
                    groupsWaiting: user.security.accessChangesNeedSecondAdmin && !chosen.isEmpty, in: context))
        } catch let error as UserDirectory.Failure {
            guard case .invalid(let issues) = error.kind else { throw error }
            return try await renderInvite(context, user, form: form, issues: issues, status: .unprocessableContent)
        }
    }

    private func renderInvite(
        _ context: SignedInRequestContext, _ user: SignedInUser, form: InviteForm? = nil, issues: [FieldIssue] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let groups = try await identity.groups.groups(context.tenant.scope, logger: context.logger)
        return try pages.render(
            "form-page", FormPage.invite(groups: groups, viewer: user, form: form, issues: issues, in: context), status: status)
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try Self.userID(context)
        let scope = context.tenant.scope
        let account = try await identity.users.account(scope, id: id, logger: context.logger)
        let memberships = try await identity.groups.memberships(scope, userID: id, logger: context.logger)
        let groups = try await identity.groups.groups(scope, logger: context.logger)
        let sessions = try await identity.sessions.open(scope, userID: id, logger: context.logger)
        let attempts = try await identity.users.attempts(scope, userID: id, logger: context.logger)
        let teams = try await identity.groups.principal(scope, userID: id, logger: context.logger).teams.sorted()
        return try pages.render(
            "admin-user",
            UserPage(
                account: account, memberships: memberships, groups: groups, teams: teams, sessions: sessions, attempts: attempts,
                viewer: user, now: identity.clock.now(), in: context))
    }

    @Sendable func unlock(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try Self.userID(context)
        try await identity.users.unlock(context.tenant.scope, userID: id, by: AccessGuard.actor(user, context), logger: context.logger)
        return .redirect(to: "\(context.basePath)/admin/users/\(id)")
    }

    @Sendable func disable(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try Self.userID(context)
        guard id != user.userID else { throw SelfDisable() }
        try await identity.users.disable(
            context.tenant.scope, userID: id, by: AccessGuard.actor(user, context), now: identity.clock.now(), logger: context.logger)
        return .redirect(to: "\(context.basePath)/admin/users/\(id)")
    }

    @Sendable func signOutEverywhere(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let id = try Self.userID(context)
        _ = try await identity.users.account(context.tenant.scope, id: id, logger: context.logger)
        try await identity.sessions.endAll(
            context.tenant.scope, userID: id, reason: "ended-by-admin", now: identity.clock.now(), logger: context.logger)
        return .redirect(to: "\(context.basePath)/admin/users/\(id)")
    }

    @Sendable func addToGroup(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try Self.userID(context)
        let groupID = try await request.decode(as: GroupChoiceForm.self, context: context).group
        try await identity.groups.requestMembership(
            context.tenant.scope, userID: id, groupID: groupID, requestedBy: user.userID,
            needsApproval: user.security.accessChangesNeedSecondAdmin, now: identity.clock.now(), audit: AccessGuard.actor(user, context),
            logger: context.logger)
        return .redirect(to: "\(context.basePath)/admin/users/\(id)")
    }

    @Sendable func addToTeam(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try Self.userID(context)
        let team = try await request.decode(as: TeamForm.self, context: context).team
        _ = try await identity.users.account(context.tenant.scope, id: id, logger: context.logger)
        try await identity.groups.addTeam(
            context.tenant.scope, userID: id, team: team, audit: AccessGuard.actor(user, context), logger: context.logger)
        return .redirect(to: "\(context.basePath)/admin/users/\(id)")
    }

    @Sendable func removeFromTeam(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try Self.userID(context)
        let team = try await request.decode(as: TeamForm.self, context: context).team
        try await identity.groups.removeTeam(
            context.tenant.scope, userID: id, team: team, audit: AccessGuard.actor(user, context), logger: context.logger)
        return .redirect(to: "\(context.basePath)/admin/users/\(id)")
    }

    static func userID(_ context: SignedInRequestContext) throws -> UUID {
        let id = try context.parameters.require("user", as: UUID.self)
        return id
    }
}

/// An administrator may not disable their own account (someone must be left to manage users).
struct SelfDisable: KerbError {
    var kind: KerbErrorKind { .conflict }
    var code: String { "identity.self-disable" }
    var publicDetail: String { "You cannot disable your own account. Ask another administrator." }
}
