import Communications
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import KerbCore

/// A forgotten password: ask for a link by email (the answer is the same whether or not the
/// address has an account), then choose a new password with it. Both posts go through the
/// per-client throttle; the use cases limit links per account (`AccountService.requestPasswordReset`).
struct PasswordResetController: Sendable {
    let identity: IdentityServices
    let outbox: Outbox
    let pages: Pages
    let throttle: ClientThrottle
    let publicBaseURL: PublicBaseURL

    func addRoutes(to group: DeclaredRoutes) {
        group.get("password/forgotten", .anyone, use: askPage)
        group.post("password/forgotten", .anyone, use: throttle.guarding(ask))
        group.get("password/reset", .anyone, use: resetPage)
        group.post("password/reset", .anyone, use: throttle.guarding(reset))
    }

    @Sendable func askPage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let form = FormModel(
            action: context.basePath + "/password/forgotten", csrf: context.csrfToken,
            fields: [FormField(name: "email", label: "Your work email address", kind: .email, autocomplete: "username")],
            submit: "Email me a link")
        return try pages.render(
            "form-page",
            FormPage(
                title: "Forgotten your password?",
                lead: ["We will email you a link to choose a new one. You will still need your two-step verification code to sign in."],
                form: form, layout: .council(context)))
    }

    @Sendable func ask(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let form = try await request.decode(as: ForgottenPasswordForm.self, context: context)
        try await identity.accounts.requestPasswordReset(
            context.tenant.scope, email: form.email, now: identity.clock.now(),
            link: { [publicBaseURL, slug = context.tenant.slug] in publicBaseURL.council(slug, "/password/reset?token=\($0.token)") },
            outbox: outbox, logger: context.logger)
        return try pages.render(
            "message",
            MessagePage(
                title: "Check your email",
                lead: [
                    "If there is an account for that address, we have emailed it a link to choose a new password. The link works once, within an hour.",
                    "No email? Check the address, wait ten minutes and ask again, or ask your Kerb administrator.",
                ],
                next: Layout.Link(label: "Back to sign in", href: context.basePath + "/sign-in", current: false),
                layout: .council(context)))
    }

    @Sendable func resetPage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try Self.resetPage.render(pages, context, token: request.uri.queryParameters.get("token") ?? "")
    }

    @Sendable func reset(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try await Self.resetPage.submit(request, context, pages) { token, password in
            try await identity.accounts.resetPassword(
                context.tenant.scope, token: token, password: password, now: identity.clock.now(), logger: context.logger)
        }
    }

    static let resetPage = LinkPasswordPage(
        path: "/password/reset", title: "Choose a new password",
        lead: ["Every session of yours ends, on every device, once the new password is set."], label: "Choose a new password",
        hint: "At least 12 characters, and not one you used recently. Common passwords are refused.")
}

/// The forgotten-password form: the address to send a link to.
struct ForgottenPasswordForm: Decodable, Sendable {
    @Trimmed var email: String
}
