import Hummingbird

/// Settles once per request who the client is: the TCP peer, or, when the peer is one of the
/// trusted proxies, the address it reports in `X-Forwarded-For`. The
/// credential throttle counts by it and the record-view log keeps it as "from where".
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = KerbRequestContext
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trustedProxies.isEmpty else { return try await next(request, context) }
        var context = context
        context.client = Self.client(request, peer: context.peer, trusted: trustedProxies)
        return try await next(request, context)
    }

    /// The peer, or, from a trusted proxy, the nearest address in `X-Forwarded-For` that is not
    /// itself a trusted proxy.
    static func client(_ request: Request, peer: String?, trusted: Set<String>) -> String {
        let peer = peer ?? "unknown"
        guard trusted.contains(peer), let forwarded = request.headers[.init("X-Forwarded-For")!] else { return peer }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let client = hops.last(where: { !trusted.contains($0) }), client.utf8.count <= 64 else { return peer }
        return client
    }
}
