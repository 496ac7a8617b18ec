import Foundation
import Hummingbird
import KerbCore
import Logging
import Storage

/// Turns every error into a response: RFC 9457 problem+json under `/api/` (and for clients that
/// ask for JSON), an HTML page otherwise. The request id goes into both so support can find the
/// log line. Unexpected errors are logged once and answered with a generic 500: no internals.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = KerbRequestContext
    let pages: Pages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        var caught: (any Error)?
        do {
            response = try await next(request, context)
        } catch let redirect as Redirect {
            response = .redirect(to: redirect.to)
        } catch {
            caught = error
            let problem = Problem(for: error, requestID: context.id, logger: context.logger)
            response =
                wantsJSON(request)
                ? problem.jsonResponse()
                : try pages.errorPage(problem, authorityName: context.tenant?.displayName, homeHref: homeHref(request, context))
        }
        response.headers[.init("X-Request-Id")!] = context.id
        if let throttled = caught as? TooManyAttempts { response.headers[.retryAfter] = String(throttled.retryAfterSeconds) }
        return response
    }

    /// Back to the council's start page when the request named one by path, else the site root.
    private func homeHref(_ request: Request, _ context: Context) -> String {
        guard let tenant = context.tenant, request.uri.path.hasPrefix("/t/") else { return "/" }
        return "/t/\(tenant.slug)/"
    }

    private func wantsJSON(_ request: Request) -> Bool {
        request.uri.path.contains("/api/") || request.uri.path == "/healthz"
            || (request.headers[.accept]?.contains("json") ?? false)
    }
}

/// An RFC 9457 problem. Only `KerbError.publicDetail` text ever reaches a client.
struct Problem: Encodable {
    var type: String
    var title: String
    var status: Int
    var detail: String?
    var instance: String
    var code: String?
    var errors: [FieldIssue]?

    init(for error: any Error, requestID: String, logger: Logger) {
        instance = requestID
        type = "about:blank"
        // A domain error thrown inside a transaction keeps its own kind.
        let error = DatabaseRefusal.underlying(error)
        switch error {
        case let error as any KerbError:
            status = Self.status(for: error.kind)
            title = Self.title(for: status)
            detail = error.publicDetail
            code = error.code
            if case .invalid(let issues) = error.kind, !issues.isEmpty { errors = issues }
            if status >= 500 { logger.warning("request failed", metadata: ["kerb.error": .string(error.code)]) }
        case _ where DatabaseRefusal(error)?.refusedInput == true:
            let refusal = DatabaseRefusal(error)
            // The schema's last line: a CHECK (length, format), a value PostgreSQL cannot
            // store. The transaction rolled back, so nothing changed; the detail (which may
            // quote the value) stays out of the answer and the log.
            status = 422
            title = Self.title(for: 422)
            detail = "A value is longer than Kerb allows or not in the form it takes. Check what you entered and try again."
            code = "storage.input-refused"
            logger.warning(
                "input refused by the database",
                metadata: [
                    "kerb.sqlstate": .string(refusal?.sqlState ?? ""),
                    "kerb.constraint": .string(refusal?.constraint ?? ""),
                ])
        case let error as any HTTPResponseError:
            status = error.status.code
            title = error.status.reasonPhrase
        default:
            status = 500
            title = "Internal Server Error"
            detail = "Something went wrong. Quote the reference \(requestID) if you contact support."
            logger.error("unhandled error", metadata: Self.safeMetadata(error))
        }
    }

    /// What an unexpected error may put in the log: its type, and for a database error its
    /// SQLSTATE and constraint name. Never its message or detail, which quote the values a
    /// person entered (a name, an NI number) and PostgreSQL's description of the row.
    static func safeMetadata(_ error: any Error) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["kerb.error.type": .string(String(reflecting: Swift.type(of: error)))]
        if let refusal = DatabaseRefusal(error) {
            metadata["kerb.error.code"] = .string(refusal.code)
            if let state = refusal.sqlState { metadata["kerb.sqlstate"] = .string(state) }
            if let constraint = refusal.constraint { metadata["kerb.constraint"] = .string(constraint) }
        }
        return metadata
    }

    /// `HTTPResponse.Status(code:)` carries no reason phrase, so name the ones Kerb uses.
    static func title(for status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 422: "Unprocessable Content"
        case 503: "Service Unavailable"
        default: "Error"
        }
    }

    static func status(for kind: KerbErrorKind) -> Int {
        switch kind {
        case .notFound: 404
        case .conflict: 409
        case .invalid: 422
        case .forbidden: 403
        case .unauthorised: 401
        case .unavailable: 503
        case .malformed: 400
        case .unsupportedMediaType: 415
        case .throttled: 429
        case .tooLarge: 413
        }
    }

    func jsonResponse() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(self)) ?? Data()
        return Response(
            status: .init(code: status),
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
