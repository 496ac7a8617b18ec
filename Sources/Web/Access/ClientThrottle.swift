import Foundation
import Hummingbird
import KerbCore
import NIOConcurrencyHelpers
import Prometheus

/// Limits credential attempts (passwords, codes, set-up links) per client address, across all
/// councils, so one client cannot guess at scale or lock a council's staff out by cycling through
/// their email addresses. Each account has its own throttle too (`AccountService`); this one is
/// in front of it and counts before any database work.
///
/// The client is the one `ClientAddressMiddleware` settled (a trusted proxy's word only when
/// the peer is one of `WebConfig.trustedProxies`, so nobody can choose their own bucket). Windows are fixed (`window` long, `limit` attempts); the table holds at most
/// `capacity` clients, dropping expired windows first. Refusals are counted in `/metrics` as
/// `kerb_throttled_attempts_total`.
final class ClientThrottle: Sendable {
    let limit: Int
    let window: Duration
    let capacity: Int
    private let clock = ContinuousClock()
    private let buckets = NIOLockedValueBox([String: (count: Int, since: ContinuousClock.Instant)]())
    private let refused: Prometheus.Counter?

    init(
        limit: Int = 30, window: Duration = .seconds(60), capacity: Int = 100_000, metrics: PrometheusCollectorRegistry?
    ) {
        self.refused = metrics?.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "kerb", metricName: "throttled_attempts", unitName: "total",
                helpText: "Credential attempts refused by the per-client throttle"))
        self.limit = limit
        self.window = window
        self.capacity = capacity
    }

    /// `handler` behind this throttle: every credential a client can guess at (a password, a
    /// code, a one-time link) counts one attempt before the handler runs.
    func guarding(
        _ handler: @escaping @Sendable (Request, TenantRequestContext) async throws -> Response
    ) -> @Sendable (Request, TenantRequestContext) async throws -> Response {
        { [self] request, context in
            try attempt(client: context.client)
            return try await handler(request, context)
        }
    }

    /// Counts one attempt by this request's client (`ClientAddressMiddleware`); throws
    /// `TooManyAttempts` (429) past the limit.
    func attempt(client: String) throws {
        let now = clock.now
        let allowed: (Bool, Int) = buckets.withLockedValue { buckets in
            if buckets.count >= capacity, buckets[client] == nil {
                buckets = buckets.filter { $0.value.since.advanced(by: window) > now }
                if buckets.count >= capacity { buckets.removeAll(keepingCapacity: true) }
            }
            var bucket = buckets[client] ?? (0, now)
            if bucket.since.advanced(by: window) <= now { bucket = (0, now) }
            bucket.count += 1
            buckets[client] = bucket
            let retry = bucket.since.advanced(by: window) - now
            return (bucket.count <= limit, max(1, Int(retry.components.seconds) + 1))
        }
        guard allowed.0 else {
            refused?.increment()
            throw TooManyAttempts(retryAfterSeconds: allowed.1)
        }
    }
}

/// 429: too many attempts from this client; the page and problem say how long to wait.
struct TooManyAttempts: KerbError {
    let retryAfterSeconds: Int
    var kind: KerbErrorKind { .throttled }
    var code: String { "web.too-many-attempts" }
    var publicDetail: String {
        "Too many attempts from your network. Wait \(retryAfterSeconds) second\(retryAfterSeconds == 1 ? "" : "s") and try again."
    }
}
