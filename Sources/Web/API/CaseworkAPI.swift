import Casework
import Enforcement
import Foundation
import Identity
import KerbAPI
import KerbCore
import Policy

/// `/api/v1`: the casework operations of the pages, for a council's integrations, as JSON. The
/// operations, their input and output types are generated from `Sources/KerbAPI/openapi.yaml`;
/// each one here turns the generated input into a use case call and its result into the
/// generated output, nothing more. The same use cases, the same policy engine (an API key's
/// permissions stand in for access groups; refusals are audited), the same rules as the pages.
struct CaseworkAPI: APIProtocol {
    let identity: IdentityServices
    let cases: CaseService
    let badges: BadgesController
    let enforcement: EnforcementService
    let documents: CaseDocuments

    // MARK: applications

    func listApplications(_ input: Operations.ListApplications.Input) async throws -> Operations.ListApplications.Output {
        let context = try SignedInRequestContext.operation()
        let queue: CaseService.Queue
        if let text = input.query.q, !text.isEmpty {
            queue = .search(String(text.prefix(100)))
        } else {
            switch input.query.queue ?? .open {
            case .open: queue = .open
            case .unassigned: queue = .unassigned
            case .due:
                let policy = context.user.policy.casework
                queue = .atLeast(days: max(0, policy.processingTargetDays - policy.escalateDaysBeforeTarget))
            }
        }
        let rows = try await cases.queue(context.tenant.scope, queue, visibleTeams: context.actor.visibleTeams(), logger: context.logger)
        return .ok(.init(body: .json(try rows.map(Components.Schemas.Summary.init))))
    }

    func createApplication(_ input: Operations.CreateApplication.Input) async throws -> Operations.CreateApplication.Output {
        let context = try SignedInRequestContext.operation()
        let body =
            switch input.body {
            case .json(let json): json
            }
        let (details, newApplication) = try body.intake(team: context.actor.newCaseTeam)
        let reference = try await cases.takeIn(
            context.tenant.scope, details, confirmedNew: body.confirmedNewPerson ?? false, newApplication, as: context.actor,
            logger: context.logger)
        return .created(try await application(reference, context))
    }

    func getApplication(_ input: Operations.GetApplication.Input) async throws -> Operations.GetApplication.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        return .ok(try await application(reference, context))
    }

    func assessApplication(_ input: Operations.AssessApplication.Input) async throws -> Operations.AssessApplication.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        try await cases.assess(
            context.tenant.scope, reference: reference, findings: body.findings, as: context.actor, logger: context.logger)
        return .ok(try await application(reference, context))
    }

    func decideApplication(_ input: Operations.DecideApplication.Input) async throws -> Operations.DecideApplication.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        try await cases.decide(
            context.tenant.scope, reference: reference, outcome: try WireValue.domain(body.outcome, as: CaseService.Outcome.self),
            reasons: try (body.reasons ?? []).map { try WireValue.domain($0, as: RefusalReason.self) }, rationale: body.rationale ?? "",
            as: context.actor,
            logger: context.logger)
        return .ok(try await application(reference, context))
    }

    func addNote(_ input: Operations.AddNote.Input) async throws -> Operations.AddNote.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        try await cases.addNote(context.tenant.scope, reference: reference, body: body.text, as: context.actor, logger: context.logger)
        return .created(try await application(reference, context))
    }

    func requestEvidence(_ input: Operations.RequestEvidence.Input) async throws -> Operations.RequestEvidence.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        try await cases.requestEvidence(
            context.tenant.scope, reference: reference, items: body.items, as: context.actor, logger: context.logger)
        return .ok(try await application(reference, context))
    }

    func receiveEvidence(_ input: Operations.ReceiveEvidence.Input) async throws -> Operations.ReceiveEvidence.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        try await cases.receiveEvidence(
            context.tenant.scope, reference: reference, items: body.items, as: context.actor, logger: context.logger)
        return .ok(try await application(reference, context))
    }

    func requestReview(_ input: Operations.RequestReview.Input) async throws -> Operations.RequestReview.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        try await cases.requestReview(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return .created(try await application(reference, context))
    }

    func decideReview(_ input: Operations.DecideReview.Input) async throws -> Operations.DecideReview.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        try await cases.decideReview(
            context.tenant.scope, reference: reference, overturn: body.overturn, rationale: body.rationale, as: context.actor,
            logger: context.logger)
        return .ok(try await application(reference, context))
    }

    /// The running operation's context and the case its path names (its shape checked first).
    static func onCase(_ reference: String) throws -> (SignedInRequestContext, String) {
        (try SignedInRequestContext.operation(), try WireValue.reference(reference, missing: CaseworkError.noSuchCase))
    }

    /// The application as the API shows it after an operation: one read of the case file.
    func application(_ reference: String, _ context: SignedInRequestContext) async throws -> Components.Responses.Application {
        let file = try await cases.file(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return .init(body: .json(try Components.Schemas.Application(file, reference: reference, now: cases.clock.now())))
    }

    // MARK: fee and badge

    func requestPayment(_ input: Operations.RequestPayment.Input) async throws -> Operations.RequestPayment.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        guard let gateway = badges.external.feeGateway(context.tenant) else { throw IntegrationError.notConfigured("GOV.UK Pay") }
        let payment = try await badges.fees.request(
            context.tenant.scope, reference: reference, gateway: gateway, returnURL: body.returnUrl, as: context.actor,
            logger: context.logger)
        return .created(
            .init(
                body: .json(
                    .init(
                        reference: payment.reference, amountPence: payment.amountPence, status: payment.status, nextUrl: payment.nextURL))))
    }

    func orderBadge(_ input: Operations.OrderBadge.Input) async throws -> Operations.OrderBadge.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .json(let json): json
            }
        let start = try WireValue.day(body.startDate, field: "startDate")
        let expiry = try body.expiryDate.map { try WireValue.day($0, field: "expiryDate") }
        guard let register = badges.external.register(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        try await badges.refreshFees(context, reference, context.actor)
        let number = try await badges.badges.issue(
            context.tenant.scope, reference: reference, start: start, expiry: expiry,
            deliverTo: try body.deliverTo.map { try WireValue.domain($0, as: DeliverTo.self) } ?? .home,
            option: try body.deliveryOption.map { try WireValue.domain($0, as: DeliveryOption.self) } ?? .standard, register: register,
            as: context.actor,
            logger: context.logger)
        return .created(try await badge(number, context))
    }

    func getBadge(_ input: Operations.GetBadge.Input) async throws -> Operations.GetBadge.Output {
        .ok(try await badge(try WireValue.badgeNumber(input.path.number), try SignedInRequestContext.operation()))
    }

    func cancelBadge(_ input: Operations.CancelBadge.Input) async throws -> Operations.CancelBadge.Output {
        let (context, number) = (try SignedInRequestContext.operation(), try WireValue.badgeNumber(input.path.number))
        let body =
            switch input.body {
            case .json(let json): json
            }
        guard let register = badges.external.register(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        try await badges.badges.cancel(
            context.tenant.scope, number: number, reason: try WireValue.domain(body.reason), register: register, as: context.actor,
            logger: context.logger)
        return .ok(try await badge(number, context))
    }

    private func badge(_ number: String, _ context: SignedInRequestContext) async throws -> Components.Responses.Badge {
        let badge = try await badges.badges.badge(context.tenant.scope, number: number, as: context.actor, logger: context.logger)
        return .init(body: .json(try Components.Schemas.Badge(badge, today: Day(cases.clock.now()))))
    }

    // MARK: enforcement and MI

    func reportMisuse(_ input: Operations.ReportMisuse.Input) async throws -> Operations.ReportMisuse.Output {
        let context = try SignedInRequestContext.operation()
        let body =
            switch input.body {
            case .json(let json): json
            }
        let reference = try await enforcement.report(
            context.tenant.scope,
            MisuseReport(
                badgeNumber: body.badgeNumber, location: body.location, vehicleRegistration: body.vehicleRegistration ?? "",
                observation: body.observation, reportedBy: body.reportedBy, seenAt: body.seenAt ?? enforcement.clock.now()),
            as: context.actor, logger: context.logger)
        return .created(.init(body: .json(try await enforcementCase(reference, context))))
    }

    func getEnforcementCase(_ input: Operations.GetEnforcementCase.Input) async throws -> Operations.GetEnforcementCase.Output {
        .ok(
            .init(
                body: .json(
                    try await enforcementCase(
                        try WireValue.reference(input.path.reference, missing: EnforcementError.noSuchCase),
                        try SignedInRequestContext.operation()))))
    }

    private func enforcementCase(_ reference: String, _ context: SignedInRequestContext) async throws
        -> Components.Schemas.EnforcementCase
    {
        let file = try await enforcement.file(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return try Components.Schemas.EnforcementCase(file)
    }

    func getManagementInformation(_ input: Operations.GetManagementInformation.Input) async throws
        -> Operations.GetManagementInformation.Output
    {
        let context = try SignedInRequestContext.operation()
        let target = context.user.policy.casework.processingTargetDays
        let figures = try await cases.managementInformation(
            context.tenant.scope, targetDays: target, visibleTeams: ManagementInformationController.visibleTeams(context.user),
            logger: context.logger)
        return .ok(.init(body: .json(Components.Schemas.Figures(figures, targetDays: target))))
    }
}
