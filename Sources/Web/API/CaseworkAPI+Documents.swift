import Casework
import Documents
import Foundation
import KerbAPI
import OpenAPIRuntime

/// `/api/v1/applications/{reference}/documents`: the same use case as the case page's upload and
/// download. The upload's body streams from the connection into the encrypted store.
extension CaseworkAPI {
    func uploadDocument(_ input: Operations.UploadDocument.Input) async throws -> Operations.UploadDocument.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        let body =
            switch input.body {
            case .any(let body): body
            }
        let upload = CaseDocuments.Upload(
            stage: try WireValue.domain(input.query.stage ?? .application), documentClass: try WireValue.domain(input.query._class),
            fileName: input.query.name)
        let document = try await documents.upload(
            context.tenant.scope, reference: reference, upload, body: body.map { Data($0) }, policy: context.user.policy.documents,
            as: context.actor, logger: context.logger)
        return .created(.init(body: .json(try Components.Schemas.Document(document))))
    }

    func getDocument(_ input: Operations.GetDocument.Input) async throws -> Operations.GetDocument.Output {
        let (context, reference) = try Self.onCase(input.path.reference)
        guard let id = UUID(uuidString: input.path.id) else { throw CaseworkError.noSuchDocument }
        let (document, stream) = try await documents.open(
            context.tenant.scope, reference: reference, id: id, as: context.actor, logger: context.logger)
        let body = HTTPBody(
            stream.map { ArraySlice($0) }, length: .known(Int64(document.byteCount)), iterationBehavior: .single)
        let headers = Operations.GetDocument.Output.Ok.Headers(contentDisposition: DocumentDownload.disposition(document.fileName))
        let typed: Operations.GetDocument.Output.Ok.Body =
            switch try DocumentDownload.type(of: document) {
            case .pdf: .pdf(body)
            case .jpeg: .jpeg(body)
            case .png: .png(body)
            case .heic: .imageHeic(body)
            }
        return .ok(.init(headers: headers, body: typed))
    }
}
