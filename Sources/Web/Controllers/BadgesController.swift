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

    /// The fee and badge sections of a case page, with the actions this person may take.
    func caseSections(_ context: SignedInRequestContext, _ actor: Actor, reference: String, team: String?, issues: [FieldIssue])
        async throws -> [RecordPage.Section]
    {
        let today = Day(badges.clock.now())
        let plan = try await badges.plan(context.tenant.scope, reference: reference, today: today, logger: context.logger)
        guard plan.applicationStatus == .approved || plan.badge != nil else { return [] }
        let target = AccessTarget(team: team)
        let base = "\(context.basePath)/cases/\(reference)"
        var sections: [RecordPage.Section] = []
        if plan.feePence > 0 {
            let payments = try await fees.payments(context.tenant.scope, reference: reference, logger: context.logger)
            var section = RecordPage.Section(heading: "Fee")
            section.lines =
                [.init(key: "Fee", value: Formats.pounds(plan.feePence) + (plan.feePaid ? " — paid" : " — not paid yet"))]
                + payments.map {
                    .init(
                        key: Formats.dateTime($0.createdAt),
                        value: "\($0.provider == "NATIONAL" ? "Paid online with the application" : "GOV.UK Pay") \($0.reference): "
                            + Self.paymentStatus($0), href: $0.isFinished ? nil : $0.nextURL)
                }
            if !plan.feePaid, actor.may(.takePayments, target) {
                section.buttons.append(.init(action: base + "/payment", label: "Ask for the fee (GOV.UK Pay)", csrf: context.csrfToken))
                if payments.contains(where: { !$0.isFinished && $0.provider == "GOVUKPAY" }) {
                    section.buttons.append(.init(action: base + "/payment/check", label: "Check payment", csrf: context.csrfToken))
                }
            }
            sections.append(section)
        }
        var section = RecordPage.Section(heading: "Badge")
        if let badge = plan.badge {
            section.lines = Self.lines(badge, today: today, href: "\(context.basePath)/badges/\(badge.number)")
        } else if let since = plan.orderInFlightSince {
            section.lead = [
                "An order was sent to the national register at \(Formats.dateTime(since)) and its answer was not recorded. "
                    + "Check the register for reference \(reference) before ordering again."
            ]
        } else if plan.canIssue, actor.may(.issueBadge, target) {
            if let old = plan.existingBadge, plan.kind == .replace {
                section.lead = ["Replaces badge \(old.number). The new badge keeps its expiry date, \(old.expiry.long)."]
            }
            section.form = FormModel(
                action: base + "/badge", csrf: context.csrfToken,
                fields: [
                    FormField(name: "start", label: "Start date", hint: "YYYY-MM-DD, today or later", value: plan.start.iso),
                    plan.expiryFixed
                        ? FormField(name: "expiry", label: "Expiry date (kept from the old badge)", value: plan.expiry.iso, kind: .hidden)
                        : FormField(
                            name: "expiry", label: "Expiry date",
                            hint: "YYYY-MM-DD; at most 3 years, and the council allows until \(plan.latestExpiry.long)",
                            value: plan.expiry.iso),
                    FormField(
                        name: "deliver-to", label: "Deliver to", kind: .select,
                        options: [
                            .init(value: "HOME", label: "The holder's home", selected: plan.deliverTo == .home),
                            .init(value: "COUNCIL", label: "The council, for collection", selected: plan.deliverTo == .council),
                        ]),
                    FormField(
                        name: "delivery-option", label: "Delivery", kind: .select,
                        options: [
                            .init(value: "STAND", label: "Standard", selected: true),
                            .init(value: "FAST", label: "Fast track (home delivery only)", selected: false),
                        ]),
                ], submit: "Order the badge"
            ).with(errors: issues)
        } else if plan.feePence > 0, !plan.feePaid {
            section.lead = ["The badge can be ordered once the fee is paid."]
        } else {
            return sections
        }
        sections.append(section)
        return sections
    }

    /// Before a badge is ordered, read the outcome of any unfinished GOV.UK Pay payment, so a fee
    /// paid since the last look does not hold the badge up.
    func refreshFees(_ context: SignedInRequestContext, _ reference: String, _ actor: Actor) async throws {
        guard let gateway = external.feeGateway(context.tenant) else { return }
        try await fees.refresh(context.tenant.scope, reference: reference, gateway: gateway, as: actor, logger: context.logger)
    }

    static func paymentStatus(_ record: FeePayments.Record) -> String {
        switch record.status {
        case "success": "paid"
        case "failed": "failed" + (record.failureCode.map { " (\($0))" } ?? "")
        case "cancelled", "error": record.status
        default: "waiting for the applicant to pay"
        }
    }

    static func lines(_ badge: Badge, today: Day, href: String? = nil) -> [RecordPage.Line] {
        [
            .init(key: "Badge number", value: badge.number, href: href),
            .init(
                key: "Status",
                value: badge.statusLabel(today: today) + (badge.cancelReason.map { ": \($0.label)" } ?? "")
                    + (badge.replaceReason.map { ": \($0.rawValue.lowercased())" } ?? "")),
            .init(key: "Holder", value: badge.holderName),
            .init(key: "Eligibility", value: badge.eligibility),
            .init(key: "Valid", value: "\(badge.start.long) to \(badge.expiry.long)"),
            .init(key: "Delivery", value: badge.deliverTo == .council ? "To the council, for collection" : "To the holder's home"),
        ] + (badge.replaces.map { [.init(key: "Replaces", value: $0)] } ?? [])
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
        let policy = try await identity.policies.current(context.tenant.scope, logger: context.logger).document
        let today = Day(badges.clock.now())
        let due = try await badges.renewalsDue(
            context.tenant.scope, today: today, withinDays: policy.badge.renewalInvitationDays, visibleTeams: actor.visibleTeams(),
            logger: context.logger)
        var renewals = RecordPage.Section(
            heading: "Renewal invitations due",
            lead: [
                "Live badges expiring within \(policy.badge.renewalInvitationDays) days (local policy) whose holders have not been invited to renew."
            ])
        renewals.table = .init(
            headers: ["Badge", "Holder", "Expires"],
            rows: due.map {
                .init(cells: [
                    .init(key: "", value: $0.number, href: "\(context.basePath)/badges/\($0.number)"),
                    .init(key: "", value: $0.holderName), .init(key: "", value: $0.expiry.long),
                ])
            })
        renewals.empty = "No invitations are due."
        if !due.isEmpty, actor.may(.sendCommunications) {
            renewals.buttons = [
                .init(
                    action: "\(context.basePath)/badges/renewals/invite",
                    label: "Send \(due.count) renewal invitation\(due.count == 1 ? "" : "s")",
                    csrf: context.csrfToken, secondary: false)
            ]
        }
        return try pages.render(
            "badges", RecordPage(title: "Badges", sections: [renewals], layout: .council(context, current: "/badges")))
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
        let today = Day(badges.clock.now())
        let base = "\(context.basePath)/badges/\(badge.number)"
        var details = RecordPage.Section(heading: "Badge", lines: Self.lines(badge, today: today))
        if let reference = badge.applicationReference {
            details.lines.append(.init(key: "Application", value: reference, href: "\(context.basePath)/cases/\(reference)"))
        }
        var sections = [details]
        let mayIssue = actor.may(.issueBadge)
        if mayIssue, badge.status == .ordered {
            sections.append(
                .init(
                    heading: "Issue",
                    lead: ["Record that the badge was printed and sent, or handed over at the council."],
                    buttons: [.init(action: base + "/issued", label: "Record as issued", csrf: context.csrfToken, secondary: false)]))
        }
        if mayIssue, badge.isLive(today: today) {
            sections.append(
                .init(
                    heading: "Cancel this badge",
                    form: FormModel(
                        action: base + "/cancel", csrf: context.csrfToken,
                        fields: [
                            FormField(
                                name: "reason", label: "Reason", kind: .select,
                                options: [.init(value: "", label: "Choose a reason", selected: true)]
                                    + CancelReason.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: false) })
                        ], submit: "Cancel the badge"
                    ).with(errors: issues), folded: issues.isEmpty))
        }
        return try pages.render(
            "record",
            RecordPage(
                title: "Badge \(badge.number)", caption: "Blue Badge", tag: badge.statusLabel(today: today),
                errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
                sections: sections, layout: .council(context, current: "/badges")), status: status)
    }

    /// The badge number in the path (six characters; anything longer is no badge of ours).
    static func number(_ context: SignedInRequestContext) throws -> String {
        try context.parameters.require("number", as: BadgeNumberInPath.self).description
    }
}
