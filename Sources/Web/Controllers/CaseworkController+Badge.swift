import Casework
import Foundation
import Hummingbird
import KerbCore

extension CaseworkController {
    /// Orders the badge for an approved case. Date problems go back to the case page's badge
    /// form; the national service's refusals go to the error page with its message.
    @Sendable func issueBadge(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: BadgeOrderForm.self)
        guard let register = badges.external.register(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        do {
            let (start, expiry) = try form.dates()
            try await badges.refreshFees(context, reference, actor)
            try await badges.badges.issue(
                context.tenant.scope, reference: reference, start: start, expiry: expiry, deliverTo: form.deliverTo ?? .home,
                option: form.deliveryOption ?? .standard, register: register, as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, badgeIssues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }
}

extension CaseworkController {
    /// Takes in the applications made on GOV.UK's online form since the last import.
    @Sendable func importOnline(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        guard let national = badges.external.national(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        let outcome = try await OnlineApplications(cases: cases).importNew(
            context.tenant.scope, client: national.client, localAuthority: national.localAuthority, team: actor.newCaseTeam,
            as: actor, logger: context.logger)
        return try pages.render(
            "message", OnlineImportPage.message(outcome, basePath: context.basePath, layout: .council(context, current: "/cases")))
    }
}
