import Foundation
import Hummingbird
import Identity
import Logging
import Prometheus
import Storage

/// Routes that belong to the service rather than to a council: health, metrics, static assets.
/// They are added before the tenant middleware, so a suspended council cannot make them fail.
struct ServiceController: Sendable {
    let database: TenantDatabase
    let metrics: PrometheusCollectorRegistry?
    /// `/metrics` is not public: it names councils and shows their traffic.
    let metricsToken: String?
    let assets: StaticAssets

    func addRoutes(to router: Router<KerbRequestContext>) {
        router.get("healthz", use: health)
        router.get("metrics", use: prometheus)
        router.get("assets/:file") { _, context in
            guard let name = context.parameters.get("file"), let response = assets.response(for: name) else {
                throw HTTPError(.notFound)
            }
            return response
        }
    }

    /// 200 when the database answers, 503 otherwise; load balancers take the app out on 503.
    @Sendable func health(_ request: Request, context: KerbRequestContext) async throws -> Response {
        let ok = await database.isReachable(logger: context.logger)
        if !ok { context.logger.warning("health check: database unreachable") }
        let body = ok ? #"{"status":"ok","database":"ok"}"# : #"{"status":"unavailable","database":"unreachable"}"#
        return Response(
            status: ok ? .ok : .serviceUnavailable, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    @Sendable func prometheus(_ request: Request, context: KerbRequestContext) async throws -> Response {
        guard let metricsToken else { throw HTTPError(.notFound) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            SessionService.constantTimeEquals(String(header.dropFirst(7)), metricsToken)
        else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .cacheControl: "no-store"])
        }
        var buffer: [UInt8] = []
        metrics?.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
