import Foundation
import Hummingbird
import Identity
import KerbCore

/// Puts the integration behind an API key on a `/api/v1` request, or answers 401. Keys are
/// looked up in the council's own schema, so a key of one council is unknown at every other.
/// No cookies are read here: the API cannot be driven from a browser session (so no CSRF).
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext
    let keys: APIKeyService
    let clock: WallClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let user = try await keys.authenticate(
                context.tenant.scope, key: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), now: clock.now(),
                logger: context.logger)
        else {
            context.logger.notice("API request without a live key")
            var response = Problem(for: IdentityError.apiKeyRequired, requestID: context.id, logger: context.logger).jsonResponse()
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        context.user = user
        context.logger[metadataKey: "kerb.user"] = .string(user.userID.uuidString)
        var response = try await next(request, context)
        // Personal data: never kept by a cache between Kerb and the integration.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// A request that declares a body: a content type, a non-zero length or chunked transfer.
    static func hasBody(_ request: Request) -> Bool {
        if request.headers[.contentType] != nil { return true }
        if let length = request.headers[.contentLength] { return length != "0" }
        return request.headers[.transferEncoding] != nil
    }
}
