import Casework
import Foundation
import Hummingbird
import KerbCore

/// The applicant's record and data rights: the page (`ApplicantPagePresenter`), correcting
/// their details (`CaseService.rectify`) and erasing their record (`Erasure`).
extension CaseworkController {
    @Sendable func applicant(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await renderApplicant(context, reference: try Self.reference(context))
    }

    @Sendable func rectify(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: ApplicantCorrectionForm.self)
        do {
            try await cases.rectify(
                context.tenant.scope, reference: reference, to: form.correction, reason: form.reason, as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await renderApplicant(context, reference: reference, form: form, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/cases/\(reference)/applicant")
    }

    @Sendable func erase(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: ErasureForm.self)
        do {
            try await erasure.erase(context.tenant.scope, reference: reference, reason: form.reason, as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await renderApplicant(context, reference: reference, eraseIssues: issues, status: .unprocessableContent)
        } catch CaseworkError.erasureRefused(let reasons) {
            let issues = reasons.map { FieldIssue(field: "erase-reason", message: "Not erased: \($0)") }
            return try await renderApplicant(context, reference: reference, eraseIssues: issues, status: .conflict)
        }
        return Self.backToCase(context, reference)
    }

    func renderApplicant(
        _ context: SignedInRequestContext, reference: String, form: ApplicantCorrectionForm? = nil, issues: [FieldIssue] = [],
        eraseIssues: [FieldIssue] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let actor = context.actor
        let (details, corrections) = try await cases.applicant(
            context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        let presenter = ApplicantPagePresenter(
            reference: reference, details: details, corrections: corrections, actor: actor, basePath: context.basePath,
            csrf: context.csrfToken)
        return try pages.render(
            "record",
            presenter.page(
                form: form, reason: form?.reason ?? "", issues: issues, eraseIssues: eraseIssues,
                layout: .council(context, current: "/cases")),
            status: status)
    }
}
