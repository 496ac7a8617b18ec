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
        try render(context, token: request.uri.queryParameters.get("token") ?? "")
    }

    @Sendable func reset(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let form = try await request.decode(as: SetupForm.self, context: context)
        if let mismatch = form.mismatch {
            return try render(context, token: form.token, issues: [mismatch], status: .unprocessableContent)
        }
        do {
            try await identity.accounts.resetPassword(
                context.tenant.scope, token: form.token, password: form.password ?? "", now: identity.clock.now(), logger: context.logger)
        } catch let error as IdentityError {
            return try render(
                context, token: form.token, issues: SetupForm.issues(error),
                status: error == .invalidSetupToken ? .notFound : .unprocessableContent)
        }
        return try pages.render("message", MessagePage.passwordSet(in: context))
    }

    private func render(
        _ context: TenantRequestContext, token: String, issues: [FieldIssue] = [], status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let form = FormModel(
            action: context.basePath + "/password/reset", csrf: context.csrfToken,
            fields: [
                FormField(name: "token", label: "", value: token, kind: .hidden),
                FormField(
                    name: "password", label: "Choose a new password",
                    hint: "At least 12 characters, and not one you used recently. Common passwords are refused.", kind: .password,
                    autocomplete: "new-password"),
                FormField(name: "confirm", label: "Type the password again", kind: .password, autocomplete: "new-password"),
            ], submit: "Set password"
        ).with(errors: issues)
        return try pages.render(
            "form-page",
            FormPage(
                title: "Choose a new password", lead: ["Every session of yours ends, on every device, once the new password is set."],
                form: form, layout: .council(context)),
            status: status)
    }
}

/// The forgotten-password form: the address to send a link to.
struct ForgottenPasswordForm: Decodable, Sendable {
    @Trimmed var email: String
}
