import Hummingbird

/// Keeps the id of every request being handled in `InFlightRequests`, so that if the process
/// crashes, `FatalSignalReport` can log which requests were in flight. Only the id is kept.
struct InFlightRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: InFlightRequests

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token = registry.enter(context.id)
        defer { registry.leave(token) }
        return try await next(request, context)
    }
}
