import Foundation
import Logging
import PostgresNIO
import Storage
import Synchronization

/// The web process's councils' data keys: read from the control plane as the login role (which
/// may read the wrapped keys, never write them), unwrapped with the master key on first use and
/// kept in memory for a few minutes. A version it does not hold (after `kerb keys rotate`) is read
/// again at once, which also drops the destroyed version; otherwise a destroyed version leaves
/// memory when its entry expires.
public final class KeyRing: Sendable {
    let master: MasterKey
    let database: TenantDatabase
    /// How long unwrapped keys stay in memory before they are read again.
    public static let lifetime: Duration = .seconds(300)
    private let cache = Mutex<[String: (keys: [Int: DataKey], loaded: ContinuousClock.Instant)]>([:])

    public init(master: MasterKey, database: TenantDatabase) {
        self.master = master
        self.database = database
    }

    /// The schema's live key, for sealing something new.
    public func current(_ scope: TenantScope, logger: Logger) async throws -> DataKey {
        let keys = try await load(scope, logger: logger)
        guard let newest = keys.values.max(by: { $0.version < $1.version }) else { throw KeysError.noDataKey(tenant: scope.schema) }
        return newest
    }

    /// The key that opens `sealed` (by the version it names).
    public func key(for sealed: Data, _ scope: TenantScope, logger: Logger) async throws -> DataKey {
        guard let version = Sealed.version(of: sealed) else { throw KeysError.sealedUnreadable }
        if let key = cached(scope)?[version] { return key }
        guard let key = try await load(scope, logger: logger, refresh: true)[version] else { throw KeysError.sealedUnreadable }
        return key
    }

    /// Seals a small secret with the schema's live key (see `DataKey.seal`).
    public func seal(_ plain: some DataProtocol, context: String, _ scope: TenantScope, logger: Logger) async throws -> Data {
        try await current(scope, logger: logger).seal(plain, context: context)
    }

    /// Opens a sealed secret; `KeysError.sealedUnreadable` if it does not open for this schema
    /// and context.
    public func open(_ sealed: Data, context: String, _ scope: TenantScope, logger: Logger) async throws -> Data {
        guard let plain = try await key(for: sealed, scope, logger: logger).open(sealed, context: context) else {
            throw KeysError.sealedUnreadable
        }
        return plain
    }

    private func cached(_ scope: TenantScope) -> [Int: DataKey]? {
        cache.withLock { entries in
            guard let entry = entries[scope.schema], ContinuousClock.now - entry.loaded < Self.lifetime else { return nil }
            return entry.keys
        }
    }

    private func load(_ scope: TenantScope, logger: Logger, refresh: Bool = false) async throws -> [Int: DataKey] {
        if !refresh, let keys = cached(scope), !keys.isEmpty { return keys }
        let rows = try await database.controlPlane(
            "SELECT version, wrapped FROM kerb_control.council_keys WHERE schema_name = \(scope.schema) AND wrapped IS NOT NULL",
            logger: logger)
        var keys: [Int: DataKey] = [:]
        for row in rows {
            let (version, wrapped) = try row.decode((Int, Data).self)
            guard let key = master.unwrap(wrapped, schema: scope.schema, version: version) else {
                throw KeysError.unwrapFailed(tenant: scope.schema)
            }
            keys[version] = DataKey(version: version, key: key)
        }
        cache.withLock { $0[scope.schema] = (keys, ContinuousClock.now) }
        return keys
    }
}
