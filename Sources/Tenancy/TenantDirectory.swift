import Foundation
import KerbCore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import Storage

/// Resolves a request's tenant from its slug or hostname, as the web process sees it (`kerb_app`
/// may read only the tenant list). Answers are cached briefly: a suspension reaches every app
/// process within `ttl`, and a hot tenant costs no query per request.
///
/// The cache is keyed only by validated names (`Slug`, `Hostname`) and holds at most
/// `capacity` answers: a client sending endless made-up hostnames costs one query each, not
/// memory (expired answers go first, then the whole cache when it is still full).
public final class TenantDirectory: Sendable {
    private let database: TenantDatabase
    private let ttl: Duration
    public let capacity: Int
    private let clock = ContinuousClock()
    private let cache = NIOLockedValueBox([String: (tenant: Tenant?, at: ContinuousClock.Instant)]())

    /// How long an answer is kept: a suspension reaches every web process within this.
    public static let defaultTTL: Duration = .seconds(5)

    public init(database: TenantDatabase, ttl: Duration = TenantDirectory.defaultTTL, capacity: Int = 4096) {
        self.database = database
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    /// Answers held now (for tests of the bound).
    public var cachedCount: Int { cache.withLockedValue { $0.count } }

    /// The tenant with this slug, or nil. Offboarded tenants resolve as unknown.
    public func tenant(slug: String, logger: Logger) async throws -> Tenant? {
        guard Slug(slug) != nil else { return nil }
        return try await cached("s:" + slug) {
            try await self.fetchOne(
                """
                WHERE t.slug = \(slug)
                """, logger: logger)
        }
    }

    /// The tenant serving this hostname: `<slug>.<base domain>` or one of its extra hostnames.
    public func tenant(host name: Hostname, baseDomain: String, logger: Logger) async throws -> Tenant? {
        let host = name.rawValue
        let suffix = "." + baseDomain.lowercased()
        if host.hasSuffix(suffix) {
            let label = String(host.dropLast(suffix.count))
            if !label.contains(".") { return try await tenant(slug: label, logger: logger) }
        }
        return try await cached("h:" + host) {
            try await self.fetchOne(
                "WHERE t.id = (SELECT tenant_id FROM kerb_control.tenant_hostnames WHERE hostname = \(host))", logger: logger)
        }
    }

    /// Every council that is not offboarded, by name (the supplier-ops list; not cached).
    public func all(logger: Logger) async throws -> [Tenant] {
        try await fetch("WHERE true", logger: logger).sorted { $0.displayName < $1.displayName }
    }

    /// Forgets cached answers, so the next lookup sees the database (tests, CLI in-process).
    public func invalidate() { cache.withLockedValue { $0.removeAll() } }

    private func cached(_ key: String, _ load: () async throws -> Tenant?) async throws -> Tenant? {
        let now = clock.now
        if let hit = cache.withLockedValue({ $0[key] }), hit.at.advanced(by: ttl) > now { return hit.tenant }
        let tenant = try await load()
        cache.withLockedValue { cache in
            if cache.count >= capacity, cache[key] == nil {
                cache = cache.filter { $0.value.at.advanced(by: ttl) > now }
                if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            }
            cache[key] = (tenant, now)
        }
        return tenant
    }

    private func fetchOne(_ condition: PostgresQuery, logger: Logger) async throws -> Tenant? {
        try await fetch(condition, logger: logger).first
    }

    private func fetch(_ condition: PostgresQuery, logger: Logger) async throws -> [Tenant] {
        var query: PostgresQuery = """
            SELECT t.id::text, t.slug, t.authority_slug, t.display_name, t.band::text, t.nation, t.status, t.status_reason,
                   extract(epoch FROM t.created_at)::text, extract(epoch FROM t.suspended_at)::text,
                   coalesce((SELECT string_agg(h.hostname, ',' ORDER BY h.hostname) FROM kerb_control.tenant_hostnames h WHERE h.tenant_id = t.id), '')
            FROM kerb_control.tenants t
            """
        query.sql += " " + condition.sql + " AND t.status <> 'offboarded'"
        query.binds = condition.binds
        var tenants: [Tenant] = []
        for row in try await database.controlPlane(query, logger: logger) {
            let row = try row.decode(
                (String?, String?, String?, String?, String?, String?, String?, String?, String?, String?, String?).self)
            if let tenant = TenantRow.decode([row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10]) {
                tenants.append(tenant)
            }
        }
        return tenants
    }
}
