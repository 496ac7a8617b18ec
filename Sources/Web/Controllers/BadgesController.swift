import Casework
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Badges and the fee: the badge and payment sections of a case page, ordering the badge from
/// the national register, asking for and checking the fee through GOV.UK Pay, a badge's own page
/// (issue, cancel, enforcement reports), and renewal invitations.
struct BadgesController: Sendable {
    let identity: IdentityServices
    let cases: CaseService
    let badges: BadgeService
    let fees: FeePayments
    let external: ExternalServices
    let access: AccessGuard
    let pages: Pages
    /// GOV.UK Pay return URLs are built from this, never from the request's Host.
    let publicBaseURL: PublicBaseURL

    func addRoutes(to group: DeclaredRoutes) {
        group.get("badges", .viewCase, use: index)
        group.post("badges/renewals/invite", .sendCommunications, use: inviteRenewals)
        group.get("badges/:number", .viewCase, use: show)
        group.post("badges/:number/issued", .issueBadge, use: recordIssued)
        group.post("badges/:number/cancel", .issueBadge, use: cancel)
        group.post("cases/:reference/payment", .takePayments, use: requestPayment)
        group.post("cases/:reference/payment/check", .takePayments, use: checkPayment)
        group.get("payments/:reference/return", .anyone, use: paymentReturn)
    }

    // MARK: on the case page

    /// What the fee and badge sections of a case page show (`CasePagePresenter.badgeSections`),
    /// or nil before the case is approved and while it has no badge.
    func caseData(_ context: SignedInRequestContext, reference: String) async throws -> CaseBadgeData? {
        let today = Day(badges.clock.now())
        let plan = try await badges.plan(context.tenant.scope, reference: reference, today: today, logger: context.logger)
        guard plan.applicationStatus == .approved || plan.badge != nil else { return nil }
        let payments =
            try await plan.feePence > 0 ? fees.payments(context.tenant.scope, reference: reference, logger: context.logger) : []
        return CaseBadgeData(plan: plan, payments: payments, today: today)
    }

    /// Before a badge is ordered, read the outcome of any unfinished GOV.UK Pay payment, so a fee
    /// paid since the last look does not hold the badge up.
    func refreshFees(_ context: SignedInRequestContext, _ reference: String, _ actor: Actor) async throws {
        guard let gateway = external.feeGateway(context.tenant) else { return }
        try await fees.refresh(context.tenant.scope, reference: reference, gateway: gateway, as: actor, logger: context.logger)
    }

    // MARK: ordering, issue and cancellation

    @Sendable func recordIssued(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let number = try Self.number(context)
        try await badges.recordIssued(context.tenant.scope, number: number, as: context.actor, logger: context.logger)
        return .redirect(to: "\(context.basePath)/badges/\(number)")
    }

    @Sendable func cancel(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, number) = (context.actor, try Self.number(context))
        guard let reason = try await request.decode(as: CancellationForm.self, context: context).reason else {
            return try await render(
                context, actor, number, issues: [FieldIssue(field: "reason", message: "Choose why the badge is cancelled")],
                status: .unprocessableContent)
        }
        guard let register = external.register(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        try await badges.cancel(context.tenant.scope, number: number, reason: reason, register: register, as: actor, logger: context.logger)
        return .redirect(to: "\(context.basePath)/badges/\(number)")
    }

    // MARK: the fee

    @Sendable func requestPayment(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try CaseworkController.reference(context)
        guard let gateway = external.feeGateway(context.tenant) else { throw IntegrationError.notConfigured("GOV.UK Pay") }
        _ = try await fees.request(
            context.tenant.scope, reference: reference, gateway: gateway,
            returnURL: publicBaseURL.council(context.tenant.slug, "/payments/\(reference)/return"), as: context.actor,
            logger: context.logger)
        return CaseworkController.backToCase(context, reference)
    }

    @Sendable func checkPayment(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try CaseworkController.reference(context)
        guard let gateway = external.feeGateway(context.tenant) else { throw IntegrationError.notConfigured("GOV.UK Pay") }
        try await fees.refresh(
            context.tenant.scope, reference: reference, gateway: gateway, as: context.actor, logger: context.logger)
        return CaseworkController.backToCase(context, reference)
    }

    /// Where GOV.UK Pay sends the applicant back. It shows nothing about the case (anyone could
    /// type the address); the officer's "Check payment" (or the next order) reads the outcome.
    @Sendable func paymentReturn(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try pages.render(
            "message",
            MessagePage(
                title: "Thank you",
                lead: [
                    "If your payment went through, you will receive a confirmation email from GOV.UK Pay.",
                    "We will order your badge and write to you. You can close this page.",
                ], layout: .council(context)))
    }

    // MARK: badge pages

    @Sendable func index(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        if let number = request.uri.queryParameters.get("number")?.trimmingCharacters(in: .whitespaces).uppercased(), !number.isEmpty {
            return .redirect(to: "\(context.basePath)/badges/\(String(number.prefix(6)))")
        }
        let policy = context.user.policy
        let today = Day(badges.clock.now())
        let due = try await badges.renewalsDue(
            context.tenant.scope, today: today, withinDays: policy.badge.renewalInvitationDays, visibleTeams: actor.visibleTeams(),
            logger: context.logger)
        return try pages.render(
            "badges",
            BadgePages.index(
                due: due, withinDays: policy.badge.renewalInvitationDays, maySend: actor.may(.sendCommunications),
                basePath: context.basePath, csrf: context.csrfToken, layout: .council(context, current: "/badges")))
    }

    @Sendable func inviteRenewals(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        _ = try await badges.inviteRenewals(context.tenant.scope, as: context.actor, logger: context.logger)
        return .redirect(to: "\(context.basePath)/badges")
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context, context.actor, try Self.number(context))
    }

    private func render(
        _ context: SignedInRequestContext, _ actor: Actor, _ number: String, issues: [FieldIssue] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let badge = try await badges.badge(context.tenant.scope, number: number, as: actor, logger: context.logger)
        let page = BadgePages.record(
            badge, today: Day(badges.clock.now()), mayIssue: actor.may(.issueBadge), issues: issues, basePath: context.basePath,
            csrf: context.csrfToken, layout: .council(context, current: "/badges"))
        return try pages.render("record", page, status: status)
    }

    /// The badge number in the path (six characters; anything longer is no badge of ours).
    static func number(_ context: SignedInRequestContext) throws -> String {
        try context.parameters.require("number", as: BadgeNumberInPath.self).description
    }
}
