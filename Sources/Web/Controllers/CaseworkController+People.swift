import Casework
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Who works a case and who acts for its applicant: assigning to a named colleague or a team,
/// and recording representatives (advocate, attorney, appointee, parent) with what they may do.
/// The page's sections for them are built by `CasePagePresenter.peopleSections`.
extension CaseworkController {
    @Sendable func assign(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: AssignmentForm.self)
        let (people, _) = try await cases.assignees(context.tenant.scope, logger: context.logger)
        let colleague = UUID(uuidString: form.user).map { id in people.first { $0.id == id } ?? Officer(id: id, name: "") }
        let team = form.team.isEmpty ? nil : form.team
        do {
            try await cases.assign(
                context.tenant.scope, reference: reference, to: colleague, team: team, as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, badgeIssues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }

    @Sendable func addRepresentative(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: RepresentativeForm.self)
        do {
            try await cases.addRepresentative(
                context.tenant.scope, reference: reference, fullName: form.name, relationship: form.relationship,
                mayApply: form.mayApply, mayReceive: form.mayReceive, mayDiscuss: form.mayDiscuss, contact: form.contact, as: actor,
                logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, badgeIssues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }
}
