import Casework
import Documents
import Enforcement
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Reports of badge misuse: the list, a new report, and a case's page (take it on, add
/// evidence and photographs, close with an outcome). Everything here needs `enforcement.manage`.
struct EnforcementController: Sendable {
    let enforcement: EnforcementService
    /// Photographs and evidence files: upload and download.
    let documents: EnforcementDocuments
    let external: ExternalServices
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("enforcement", .manageEnforcement, use: index)
        group.get("enforcement/new", .manageEnforcement, use: newPage)
        group.post("enforcement/new", .manageEnforcement, use: create)
        group.get("enforcement/:reference", .manageEnforcement, use: show)
        group.post("enforcement/:reference/investigate", .manageEnforcement, use: investigate)
        group.post("enforcement/:reference/evidence", .manageEnforcement, use: addEvidence)
        group.post("enforcement/:reference/close", .manageEnforcement, use: close)
        group.post("enforcement/:reference/documents", .manageEnforcement, use: uploadDocument)
        group.get("enforcement/:reference/documents/:document", .manageEnforcement, use: downloadDocument)
    }

    @Sendable func index(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let all = request.uri.queryParameters.get("show") == "all"
        let rows = try await enforcement.cases(context.tenant.scope, openOnly: !all, as: context.actor, logger: context.logger)
        return try pages.render(
            "record", EnforcementPages.index(rows, all: all, basePath: context.basePath, layout: .council(context, current: "/enforcement"))
        )
    }

    @Sendable func newPage(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try pages.render(
            "form-page",
            FormPage(
                title: "Report misuse of a badge",
                form: EnforcementPages.reportForm(nil, basePath: context.basePath, csrf: context.csrfToken),
                layout: .council(context, current: "/enforcement")))
    }

    @Sendable func create(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: MisuseReportForm.self, context: context)
        do {
            let reference = try await enforcement.report(
                context.tenant.scope, form.report(seenAt: enforcement.clock.now()), as: context.actor, logger: context.logger)
            return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
        } catch EnforcementError.invalid(let issues) {
            return try pages.render(
                "form-page",
                FormPage(
                    title: "Report misuse of a badge",
                    form: EnforcementPages.reportForm(form, basePath: context.basePath, csrf: context.csrfToken).with(errors: issues),
                    layout: .council(context, current: "/enforcement")), status: .unprocessableContent)
        }
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context, context.actor, try Self.reference(context))
    }

    private func render(
        _ context: SignedInRequestContext, _ actor: Actor, _ reference: String, issues: [FieldIssue] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let file = try await enforcement.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        let page = EnforcementPages.record(
            file, reference: reference, today: Day(enforcement.clock.now()), issues: issues, documentPolicy: context.user.policy.documents,
            basePath: context.basePath, csrf: context.csrfToken, layout: .council(context, current: "/enforcement"))
        return try pages.render("record", page, status: status)
    }

    @Sendable func investigate(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        try await enforcement.investigate(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    @Sendable func addEvidence(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = (context.actor, try Self.reference(context))
        let form = try await request.decode(as: EnforcementEvidenceForm.self, context: context)
        do {
            try await enforcement.addEvidence(
                context.tenant.scope, reference: reference, description: form.evidence, capturedAt: enforcement.clock.now(),
                as: actor, logger: context.logger)
        } catch EnforcementError.invalid(let issues) {
            return try await render(context, actor, reference, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    @Sendable func close(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = (context.actor, try Self.reference(context))
        let form = try await request.decode(as: EnforcementOutcomeForm.self, context: context)
        do {
            try await enforcement.close(
                context.tenant.scope, reference: reference, outcome: form.outcome ?? .noAction, rationale: form.rationale,
                register: external.register(context.tenant), as: actor, logger: context.logger)
        } catch EnforcementError.invalid(let issues) {
            return try await render(context, actor, reference, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    /// A photograph or file for the case, streamed into the encrypted store (`UploadForm` reads
    /// the CSRF token and the class before the file); a refusal shows the page with the error.
    @Sendable func uploadDocument(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        let form = try await UploadForm.read(request, csrfSecret: context.csrfSecret)
        let kind = form.fields["class"].flatMap(DocumentClass.init(rawValue:)) ?? .enforcement
        do {
            _ = try await documents.upload(
                context.tenant.scope, reference: reference, fileName: form.fileName, documentClass: kind, body: form.file,
                policy: context.user.policy.documents, as: context.actor, logger: context.logger)
        } catch let refusal as DocumentVault.Refusal {
            // The status any error of its kind answers (413, 415 or 422), on the page with the form.
            let status = HTTPResponse.Status(code: Problem.status(for: refusal.kind))
            return try await render(
                context, context.actor, reference, issues: [FieldIssue(field: "file", message: refusal.publicDetail)], status: status)
        } catch EnforcementError.invalid(let issues) {
            return try await render(context, context.actor, reference, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    @Sendable func downloadDocument(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        guard let id = context.parameters.get("document").flatMap(UUID.init(uuidString:)) else { throw CaseworkError.noSuchDocument }
        let (document, stream) = try await documents.open(
            context.tenant.scope, reference: reference, id: id, as: context.actor, logger: context.logger)
        return try DocumentDownload.response(document, stream)
    }

    static func reference(_ context: SignedInRequestContext) throws -> String {
        try context.parameters.require("reference", as: RecordReference.self).description
    }
}
