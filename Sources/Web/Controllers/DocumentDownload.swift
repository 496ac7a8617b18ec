import Casework
import Documents
import Foundation
import HTTPTypes
import Hummingbird

/// How a stored document goes back to a browser or client: always as an attachment (never shown
/// inline, where a crafted PDF or image could run in the service's origin), with the type Kerb
/// found in its content, and a sandboxing CSP on top of the pages' own (`nosniff`, `no-store`).
enum DocumentDownload {
    static func type(of document: CaseDocument) throws -> DocumentType {
        guard let type = DocumentType(mediaType: document.mediaType) else {
            throw CaseworkError.noSuchDocument
        }
        return type
    }

    /// `attachment` with the name twice (RFC 6266): plain ASCII for old clients, and UTF-8
    /// percent-encoded.
    static func disposition(_ fileName: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "document"
        return "attachment; filename=\"\(SafeFileName.ascii(fileName))\"; filename*=UTF-8''\(encoded)"
    }

    /// A file Kerb made for this request (a subject access archive): streamed from disk, then its
    /// private folder removed, whether or not the client read it all.
    static func temporaryFile(_ file: URL, name: String, mediaType: String) throws -> Response {
        let folder = file.deletingLastPathComponent()
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int,
            let handle = FileHandle(forReadingAtPath: file.path)
        else {
            try? FileManager.default.removeItem(at: folder)
            throw HTTPError(.internalServerError)
        }
        var headers = HTTPFields()
        headers[.contentType] = mediaType
        headers[.contentDisposition] = disposition(name)
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        let body = ResponseBody(contentLength: size) { writer in
            defer {
                try? handle.close()
                try? FileManager.default.removeItem(at: folder)
            }
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try await writer.write(ByteBuffer(data: chunk))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The page route's response: the document streamed as it is decrypted.
    static func response(_ document: CaseDocument, _ stream: DocumentStream) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = try type(of: document).mediaType
        headers[.contentDisposition] = disposition(document.fileName)
        headers[.contentLength] = String(document.byteCount)
        // `nosniff`, the page CSP and `no-store` come from the middleware of every council page;
        // this policy is added to the page one (a browser enforces both).
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream.map { ByteBuffer(data: $0) }))
    }
}
