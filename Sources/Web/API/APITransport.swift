import Foundation
import HTTPTypes
import Hummingbird
import KerbCore
import OpenAPIHummingbird
import OpenAPIRuntime
import Policy

/// Where the generated API code registers its operations: on the council's `/api/v1` routes,
/// each recorded in the route catalogue with the permission the document declares for it (the
/// access sweep reads the catalogue) and guarded by `APIOperationMiddleware`. An operation the
/// document gives no permission cannot be registered: the server refuses to start.
struct APITransport: ServerTransport {
    let routes: DeclaredRoutes
    let operations: APIOperations

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        let permission = try operations.permission(method, path)
        routes.operation(path, method: method, permission)
            .add(middleware: APIOperationMiddleware(streamsBody: operations.streamsBody(method, path)))
            .register(handler, method: method, path: path)
    }
}

/// Runs one generated operation for a signed-in API key whose permission `DeclaredRoutes` has
/// already checked: caps and screens the body before the generated decoder reads it, hands the
/// operation its context (the generated handlers receive only the HTTP request), and turns the
/// generator's wrapped errors back into Kerb's, so refusals keep their problem+json answers.
struct APIOperationMiddleware: RouterMiddleware {
    typealias Context = SignedInRequestContext
    /// A file upload: its body streams to the operation, which limits it as it reads (the
    /// council's upload limit) and reads its type from the content.
    let streamsBody: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        // The API speaks JSON, but for file uploads: a form, multipart or text body is refused
        // before the operation.
        if !streamsBody, APIKeyMiddleware.hasBody(request) {
            guard APIJSON.isJSON(request.headers[.contentType]) else { throw MalformedRequest.notJSON }
            let buffer = try await request.collectBody(upTo: APIJSON.maxBytes)
            try APIJSON.screen(Data(buffer.readableBytesView))
        }
        do {
            var response = try await SignedInRequestContext.$current.withValue(context) { try await next(request, context) }
            Self.restoreDisposition(&response)
            return response
        } catch let error as ServerError {
            throw Self.unwrap(error)
        }
    }

    /// The generated code percent-encodes every header value it sets, which would turn a
    /// download's `attachment; filename="…"` into one opaque token. Kerb's value is ASCII with no
    /// control characters (`DocumentDownload.disposition`), so one decoding gives it back exactly.
    static func restoreDisposition(_ response: inout Response) {
        guard let encoded = response.headers[.contentDisposition], let decoded = encoded.removingPercentEncoding,
            decoded.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F })
        else { return }
        response.headers[.contentDisposition] = decoded
    }

    /// A failure in the operation itself is the operation's own error; one before it (the input
    /// did not decode as the document describes) is the client's, answered 422 with the field.
    static func unwrap(_ error: ServerError) -> any Error {
        if error.operationInput != nil { return error.underlyingError }
        if let decoding = error.underlyingError as? DecodingError { return APIBodyError.invalid(APIJSON.issue(for: decoding)) }
        return APIBodyError.invalid(FieldIssue(field: "request", message: "The request does not match the API document"))
    }
}

extension SignedInRequestContext {
    /// The context of the API operation running in this task (set by `APIOperationMiddleware`).
    @TaskLocal static var current: SignedInRequestContext?

    /// The running operation's context. Only an operation registered through `APITransport` runs
    /// with one; anything else is a wiring mistake, answered as an internal error.
    static func operation() throws -> SignedInRequestContext {
        guard let context = current else { throw HTTPError(.internalServerError) }
        return context
    }
}
