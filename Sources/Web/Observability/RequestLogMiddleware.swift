import Hummingbird
import Logging

/// One log line per request with the method and path only. Query strings are left out: they
/// carry set-up tokens and, with search, personal data, neither of which belongs in logs.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.info(
            "Request", metadata: ["hb.request.path": .string(request.uri.path), "hb.request.method": .string(request.method.rawValue)])
        return try await next(request, context)
    }
}
