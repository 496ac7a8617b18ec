import Hummingbird

/// `Strict-Transport-Security` on every response when Kerb runs behind HTTPS (secure cookies):
/// after one visit a browser never sends a council's session cookie over plain HTTP again.
struct StrictTransportMiddleware<Context: RequestContext>: RouterMiddleware {
    let enabled: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if enabled { response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        return response
    }
}
