import Casework
import Documents
import Foundation
import Hummingbird
import KerbCore

/// Uploading a document to a case from its page, and downloading one. The upload's CSRF token
/// and class are read from the multipart body before the file (`UploadForm`); the file streams
/// into the encrypted store. A refusal (type, size, missing file) shows the case page with the
/// error at the upload form, and nothing is kept.
extension CaseworkController {
    @Sendable func uploadDocument(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        let form = try await UploadForm.read(request, csrfSecret: context.csrfSecret)
        guard let kind = form.fields["class"].flatMap(DocumentClass.init(rawValue:)), kind != .enforcement else {
            return try await render(
                context, context.actor, reference: reference,
                documentIssues: [FieldIssue(field: "class", message: "Choose what the document is")], status: .unprocessableContent)
        }
        let stage = form.fields["stage"].flatMap(DocumentStage.init(rawValue:)) ?? .application
        do {
            _ = try await documents.upload(
                context.tenant.scope, reference: reference, .init(stage: stage, documentClass: kind, fileName: form.fileName),
                body: form.file, policy: context.user.policy.documents, as: context.actor, logger: context.logger)
        } catch let refusal as DocumentVault.Refusal {
            // The status any error of its kind answers (413, 415 or 422), on the page with the form.
            let status = HTTPResponse.Status(code: Problem.status(for: refusal.kind))
            return try await render(
                context, context.actor, reference: reference, documentIssues: [FieldIssue(field: "file", message: refusal.publicDetail)],
                status: status)
        }
        return Self.backToCase(context, reference)
    }

    @Sendable func downloadDocument(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        guard let id = context.parameters.get("document").flatMap(UUID.init(uuidString:)) else { throw CaseworkError.noSuchDocument }
        let (document, stream) = try await documents.open(
            context.tenant.scope, reference: reference, id: id, as: context.actor, logger: context.logger)
        return try DocumentDownload.response(document, stream)
    }

    /// Everything held about the case's applicant, as one ZIP (audited as `subject-access.exported`).
    @Sendable func subjectAccess(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        let archive = try await subjectAccessArchives.archive(
            context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return try DocumentDownload.temporaryFile(archive.file, name: archive.fileName, mediaType: "application/zip")
    }
}
