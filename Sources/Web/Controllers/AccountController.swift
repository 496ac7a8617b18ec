import Foundation
import Hummingbird
import Identity
import KerbCore

/// The signed-in person's own account: their open sessions (seed 002 3.2.4), sign-out
/// everywhere, new recovery codes, and changing their password (forced when it has expired).
struct AccountController: Sendable {
    let identity: IdentityServices
    let access: AccessGuard
    let pages: Pages
    let cookies: SessionCookies

    func addRoutes(to group: DeclaredRoutes) {
        group.get("account", .signedIn, use: account)
        group.post("account/sign-out-everywhere", .signedIn, use: signOutEverywhere)
        group.post("account/recovery-codes", .signedIn, use: recoveryCodes)
        group.get("account/password", .signedIn, use: passwordPage)
        group.post("account/password", .signedIn, use: changePassword)
    }

    struct AccountPage: Sendable {
        struct SessionRow: Sendable {
            let started: String
            let lastSeen: String
            let device: String
            let current: Bool
        }

        let name: String
        let email: String
        let groups: [String]
        let twoFactor: String
        let passwordDue: String
        let sessions: [SessionRow]
        let basePath: String
        let csrf: String
        let layout: Layout
    }

    @Sendable func account(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let user = try access.signedIn(context)
        let scope = context.tenant.scope
        let sessions = try await identity.sessions.open(scope, userID: user.userID, logger: context.logger)
        let details = try await identity.users.account(scope, id: user.userID, logger: context.logger)
        let due = details.passwordDue(maxAgeDays: user.security.passwordMaxAgeDays)
        return try pages.render(
            "account",
            AccountPage(
                name: user.fullName, email: user.email, groups: user.principal.groups.map(\.name),
                twoFactor: user.hasTOTP ? "On (authenticator app)" : "Not set up",
                passwordDue: due.map { "Change by \(Formats.date($0))" } ?? "No forced change",
                sessions: sessions.map {
                    AccountPage.SessionRow(
                        started: Formats.dateTime($0.createdAt), lastSeen: Formats.dateTime($0.lastSeenAt),
                        device: $0.userAgent.map(Formats.device) ?? "Unknown", current: $0.id == user.sessionID)
                },
                basePath: context.basePath, csrf: context.csrfToken, layout: .council(context)))
    }

    @Sendable func signOutEverywhere(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let user = try access.signedIn(context, allowingExpiredPassword: true)
        try await identity.sessions.endAll(
            context.tenant.scope, userID: user.userID, reason: "sign-out-everywhere", now: identity.clock.now(), logger: context.logger)
        var response = Response.redirect(to: context.basePath + "/sign-in")
        response.setCookie(cookies.clearSession(basePath: context.basePath))
        return response
    }

    /// New recovery codes replace the old ones, so they need the password again: a session left
    /// open on a shared desk must not be enough to take over the second factor.
    @Sendable func recoveryCodes(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let user = try access.signedIn(context)
        let form = try await request.decode(as: PasswordForm.self, context: context)
        do {
            try await identity.accounts.confirmPassword(
                context.tenant.scope, userID: user.userID, password: form.password ?? "", now: identity.clock.now(), logger: context.logger)
        } catch let error as IdentityError {
            let message = error == .invalidCredentials ? "Your password is not right" : error.publicDetail
            return try pages.render(
                "message",
                MessagePage(
                    title: "Recovery codes not changed", lead: [message, "Your old recovery codes still work."],
                    next: Layout.Link(label: "Back to your account", href: context.basePath + "/account", current: false),
                    layout: .council(context)),
                status: .forbidden)
        }
        let codes = try await identity.accounts.issueRecoveryCodes(context.tenant.scope, userID: user.userID, logger: context.logger)
        return try pages.render(
            "message",
            MessagePage(
                title: "New recovery codes",
                lead: ["Your old recovery codes no longer work. Keep these somewhere safe; they are shown only now."],
                secrets: codes, next: Layout.Link(label: "Back to your account", href: context.basePath + "/account", current: false),
                layout: .council(context)))
    }

    @Sendable func passwordPage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let user = try access.signedIn(context, allowingExpiredPassword: true)
        return try renderPassword(context, user)
    }

    @Sendable func changePassword(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let user = try access.signedIn(context, allowingExpiredPassword: true)
        let form = try await request.decode(as: ChangePasswordForm.self, context: context)
        let new = form.newPassword ?? ""
        guard new == (form.confirm ?? "") else {
            return try renderPassword(
                context, user, issues: [FieldIssue(field: "confirm", message: "The new passwords do not match")],
                status: .unprocessableContent)
        }
        do {
            try await identity.accounts.changePassword(
                context.tenant.scope, userID: user.userID, current: form.currentPassword ?? "", new: new,
                keepingSession: user.sessionID, now: identity.clock.now(), logger: context.logger)
        } catch let error as IdentityError {
            let issues: [FieldIssue] =
                switch error {
                case .invalidCredentials: [FieldIssue(field: "current-password", message: "Your current password is not right")]
                case .locked, .tooSoon: [FieldIssue(field: "current-password", message: error.publicDetail)]
                case .weakPassword(let problems): problems.map { FieldIssue(field: "new-password", message: $0.message) }
                default: [FieldIssue(field: "new-password", message: error.publicDetail)]
                }
            return try renderPassword(context, user, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: context.basePath + "/account")
    }

    private func renderPassword(
        _ context: TenantRequestContext, _ user: SignedInUser, issues: [FieldIssue] = [], status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let form = FormModel(
            action: context.basePath + "/account/password", csrf: context.csrfToken,
            fields: [
                FormField(name: "current-password", label: "Current password", kind: .password, autocomplete: "current-password"),
                FormField(
                    name: "new-password", label: "New password",
                    hint:
                        "At least \(user.security.passwordMinLength) characters, not one of your last \(user.security.passwordHistory) passwords. Common passwords are refused.",
                    kind: .password, autocomplete: "new-password"),
                FormField(name: "confirm", label: "Type the new password again", kind: .password, autocomplete: "new-password"),
            ], submit: "Change password")
        let lead =
            user.passwordExpired
            ? ["Your password is older than your council allows (\(user.security.passwordMaxAgeDays) days). Choose a new one to carry on."]
            : []
        return try pages.render(
            "form-page", FormPage(title: "Change your password", lead: lead, form: form.with(errors: issues), layout: .council(context)),
            status: status)
    }
}
