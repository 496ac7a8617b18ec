import Foundation
import HTTPTypes
import Hummingbird
import Identity
import KerbCore
import Policy

/// Setting up an account, signing in, the second factor (code, recovery code or first
/// enrolment) and signing out. Each step up starts a new session and ends the old one, so a
/// session token seen before sign-in is worthless after it (session fixation).
struct SignInController: Sendable {
    let identity: IdentityServices
    let pages: Pages
    let cookies: SessionCookies
    let throttle: ClientThrottle

    func addRoutes(to group: DeclaredRoutes) {
        group.get("sign-in", .anyone, use: signInPage)
        group.post("sign-in", .anyone, use: throttle.guarding(signIn))
        group.get("sign-in/code", .anyone, use: codePage)
        group.post("sign-in/code", .anyone, use: throttle.guarding(code))
        group.get("sign-in/enrol", .anyone, use: enrolPage)
        group.post("sign-in/enrol", .anyone, use: throttle.guarding(enrol))
        group.post("sign-out", .anyone, use: signOut)
        group.get("setup", .anyone, use: setupPage)
        group.post("setup", .anyone, use: throttle.guarding(setup))
    }

    // MARK: password

    @Sendable func signInPage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        if let user = context.user, user.stage == .complete { return .redirect(to: context.basePath + "/") }
        return try render(signInForm(context), context)
    }

    @Sendable func signIn(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let form = try await request.decode(as: SignInForm.self, context: context)
        let (email, password) = (form.email, form.password ?? "")
        let issues = form.missing
        guard issues.isEmpty else {
            return try render(signInForm(context, email: email).with(errors: issues), context, status: .unprocessableContent)
        }
        let outcome: AccountService.SignInOutcome
        do {
            outcome = try await identity.accounts.signIn(
                context.tenant.scope, email: email, password: password, now: identity.clock.now(), logger: context.logger)
        } catch let error as IdentityError {
            let issue = FieldIssue(field: "email", message: error.publicDetail)
            return try render(signInForm(context, email: email).with(errors: [issue]), context, status: .forbidden)
        }
        switch outcome {
        case .signedIn(let id), .passwordExpired(let id):
            return try await startSession(id, .complete, then: "/", request, context)
        case .secondFactorRequired(let id):
            return try await startSession(id, .password, then: "/sign-in/code", request, context)
        case .enrolmentRequired(let id):
            return try await startSession(id, .password, then: "/sign-in/enrol", request, context)
        }
    }

    private func signInForm(_ context: TenantRequestContext, email: String = "") -> FormModel {
        FormModel(
            action: context.basePath + "/sign-in", csrf: context.csrfToken,
            fields: [
                FormField(name: "email", label: "Email address", value: email, kind: .email, autocomplete: "username"),
                FormField(name: "password", label: "Password", kind: .password, autocomplete: "current-password"),
            ], submit: "Sign in")
    }

    private func render(_ form: FormModel, _ context: TenantRequestContext, status: HTTPResponse.Status = .ok) throws -> Response {
        try pages.render(
            "form-page",
            FormPage(
                title: "Sign in to \(context.tenant.displayName)",
                lead: ["Your account is yours alone: do not share it."], form: form,
                links: [Layout.Link(label: "Forgotten your password?", href: context.basePath + "/password/forgotten", current: false)],
                layout: .council(context)),
            status: status)
    }

    // MARK: second factor

    @Sendable func codePage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let user = context.user, user.stage == .password, user.hasTOTP else { return .redirect(to: context.basePath + "/sign-in") }
        return try renderCode(context)
    }

    @Sendable func code(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let user = context.user, user.stage == .password, user.hasTOTP else { return .redirect(to: context.basePath + "/sign-in") }
        let entered = try await request.decode(as: CodeForm.self, context: context).entered
        let scope = context.tenant.scope
        let accepted: Bool
        do {
            accepted =
                entered.count == 6 && entered.allSatisfy(\.isNumber)
                ? try await identity.accounts.verifyTOTP(
                    scope, userID: user.userID, code: entered, now: identity.clock.now(), logger: context.logger)
                : try await identity.accounts.useRecoveryCode(
                    scope, userID: user.userID, code: entered, now: identity.clock.now(), logger: context.logger)
        } catch let error as IdentityError {
            return try renderCode(context, issue: FieldIssue(field: "code", message: error.publicDetail), status: .forbidden)
        }
        guard accepted else {
            let issue = FieldIssue(
                field: "code", message: "The code is not right, or it has already been used. Wait for a new code and try again")
            return try renderCode(context, issue: issue, status: .forbidden)
        }
        return try await startSession(user.userID, .complete, then: "/", request, context)
    }

    private func renderCode(_ context: TenantRequestContext, issue: FieldIssue? = nil, status: HTTPResponse.Status = .ok) throws -> Response
    {
        let form = FormModel(
            action: context.basePath + "/sign-in/code", csrf: context.csrfToken,
            fields: [
                FormField(
                    name: "code", label: "Security code",
                    hint: "The 6-digit code from your authenticator app, or one of your recovery codes", autocomplete: "one-time-code")
            ], submit: "Continue")
        return try pages.render(
            "form-page",
            FormPage(title: "Enter your security code", form: form.with(errors: issue.map { [$0] } ?? []), layout: .council(context)),
            status: status)
    }

    // MARK: first enrolment

    struct EnrolPage: Sendable {
        let qrCode: String
        let secretText: String
        let form: FormModel
        let layout: Layout
    }

    @Sendable func enrolPage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let user = context.user, !user.hasTOTP else { return .redirect(to: context.basePath + "/sign-in") }
        let secret = try await identity.accounts.beginTOTPEnrolment(
            context.tenant.scope, userID: user.userID, now: identity.clock.now(), logger: context.logger)
        return try renderEnrol(context, user: user, secret: secret)
    }

    /// Confirms the authenticator with its first code. The secret is the one the server generated
    /// for this person (never a form field), so a client cannot enrol a secret of its choosing.
    @Sendable func enrol(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let user = context.user, !user.hasTOTP else { return .redirect(to: context.basePath + "/sign-in") }
        let form = try await request.decode(as: CodeForm.self, context: context)
        let scope = context.tenant.scope
        guard
            let secret = try await identity.accounts.pendingTOTPSecret(
                scope, userID: user.userID, now: identity.clock.now(), logger: context.logger)
        else {
            return .redirect(to: context.basePath + "/sign-in/enrol")  // expired: start again with a new secret
        }
        let confirmed: Bool
        do {
            confirmed = try await identity.accounts.confirmTOTPEnrolment(
                scope, userID: user.userID, code: form.entered, now: identity.clock.now(), logger: context.logger)
        } catch let error as IdentityError {
            return try renderEnrol(context, user: user, secret: secret, issue: CodeForm.refused(error), status: .forbidden)
        }
        guard confirmed else {
            return try renderEnrol(context, user: user, secret: secret, issue: CodeForm.notRight, status: .unprocessableContent)
        }
        let codes = try await identity.accounts.issueRecoveryCodes(scope, userID: user.userID, logger: context.logger)
        let signedIn = try await startSession(user.userID, .complete, then: "/", request, context)
        // Show the recovery codes once, on the page that completes the sign-in.
        var response = try pages.render("message", MessagePage.enrolled(recoveryCodes: codes, in: context))
        for cookie in signedIn.headers[values: .setCookie] { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    private func renderEnrol(
        _ context: TenantRequestContext, user: SignedInUser, secret: [UInt8], issue: FieldIssue? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let uri = TOTP.provisioningURI(secret: secret, account: user.email, issuer: "Kerb \(context.tenant.displayName)")
        let form = FormModel(
            action: context.basePath + "/sign-in/enrol", csrf: context.csrfToken,
            fields: [FormField(name: "code", label: "Code from the app", hint: "6 digits", autocomplete: "one-time-code")],
            submit: "Confirm")
        return try pages.render(
            "enrol",
            EnrolPage(
                qrCode: QRCode.dataURI(uri) ?? "", secretText: TOTP.base32Grouped(secret),
                form: form.with(errors: issue.map { [$0] } ?? []),
                layout: .council(context)),
            status: status)
    }

    // MARK: sign-out and set-up

    @Sendable func signOut(_ request: Request, context: TenantRequestContext) async throws -> Response {
        if let token = request.cookies[SessionCookies.session]?.value {
            try await identity.sessions.end(
                context.tenant.scope, token: token, reason: "sign-out", now: identity.clock.now(), logger: context.logger)
        }
        var response = Response.redirect(to: context.basePath + "/")
        response.setCookie(cookies.clearSession(basePath: context.basePath))
        return response
    }

    @Sendable func setupPage(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try Self.setupPage.render(pages, context, token: request.uri.queryParameters.get("token") ?? "")
    }

    @Sendable func setup(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try await Self.setupPage.submit(request, context, pages) { token, password in
            _ = try await identity.accounts.completeSetup(
                context.tenant.scope, token: token, password: password, now: identity.clock.now(), logger: context.logger)
        }
    }

    static let setupPage = LinkPasswordPage(
        path: "/setup", title: "Set up your Kerb account", label: "Choose a password",
        hint:
            "At least 12 characters. A few unrelated words make a strong password that is easy to remember. Common passwords are refused."
    )

    // MARK: sessions

    /// Ends the request's old session (if any), starts a new one at `stage`, sets its cookie and
    /// redirects to `path` under the council.
    private func startSession(
        _ userID: UUID, _ stage: SessionService.Stage, then path: String, _ request: Request, _ context: TenantRequestContext
    ) async throws -> Response {
        let scope = context.tenant.scope
        if let old = request.cookies[SessionCookies.session]?.value {
            try await identity.sessions.end(scope, token: old, reason: "rotated", now: identity.clock.now(), logger: context.logger)
        }
        let token = try await identity.sessions.start(
            scope, userID: userID, stage: stage, userAgent: request.headers[.userAgent], now: identity.clock.now(), logger: context.logger)
        var response = Response.redirect(to: context.basePath + path)
        response.setCookie(cookies.session(token, basePath: context.basePath))
        return response
    }
}
