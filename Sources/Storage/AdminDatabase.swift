import KerbCore
import Logging
import NIOPosix

/// Blocking libpq sessions as `kerb_admin`, run on a small thread pool so they never block the
/// cooperative pool. Used by the CLI and by supplier-ops operations: onboarding, lifecycle
/// changes, migrations. Request handlers never use it.
public struct AdminDatabase: Sendable {
    public let config: DatabaseConfig
    let threads: NIOThreadPool

    /// `threads` bounds how many admin sessions run at once (and so migration parallelism).
    public init(config: DatabaseConfig, threads: NIOThreadPool) {
        self.config = config
        self.threads = threads
    }

    /// Runs `body` in one transaction on a fresh admin connection: committed if it returns,
    /// rolled back if it throws, so a failed operation changes nothing.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (AdminSession) throws -> T) async throws -> T {
        try await session { session in
            try session.connection.execute(script: "BEGIN")
            do {
                let value = try body(session)
                try session.connection.execute(script: "COMMIT")
                return value
            } catch {
                try? session.connection.execute(script: "ROLLBACK")
                throw error
            }
        }
    }

    /// Runs blocking work that is not a query (PostgreSQL's client programs, file copies) on the
    /// same thread pool, so it never blocks the cooperative pool.
    public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(body)
    }

    /// Runs `body` with a fresh admin connection and no transaction of its own.
    @discardableResult
    public func session<T: Sendable>(_ body: @escaping @Sendable (AdminSession) throws -> T) async throws -> T {
        let config = self.config
        return try await threads.runIfActive {
            let session = AdminSession(connection: try PQConnection(config, role: .admin))
            return try body(session)
        }
    }
}

/// One admin connection, confined to the thread that runs the job. Values are always bound;
/// identifiers only ever come from a `TenantScope`.
public final class AdminSession {
    let connection: PQConnection

    init(connection: PQConnection) { self.connection = connection }

    /// One statement with bound parameters; rows come back as text.
    @discardableResult
    public func query(_ sql: StaticString, _ parameters: [String?] = []) throws(StorageError) -> [[String?]] {
        try connection.query(sql.description, parameters)
    }

    /// Switches the rest of the current transaction into the tenant's request role and schema,
    /// the same confinement the web process gets, then back with `leaveTenant()`. Seeding data
    /// (onboarding, demo, tests) goes this way, so it writes the audit trail as requests do.
    public func enterTenant(_ scope: TenantScope) throws(StorageError) {
        try connection.query(
            "SELECT set_config('role', $1, true), set_config('search_path', $2, true)", [scope.requestRole, scope.schema])
    }

    /// Switches the rest of the current transaction into the tenant's owner role: for work that
    /// needs ownership (ANALYZE, repairs by an operator), never for a request's data.
    public func enterTenantAsOwner(_ scope: TenantScope) throws(StorageError) {
        try connection.query(
            "SELECT set_config('role', $1, true), set_config('search_path', $2, true)", [scope.ownerRole, scope.schema])
    }

    public func leaveTenant() throws(StorageError) {
        try connection.query("SELECT set_config('role', 'none', true), set_config('search_path', 'kerb_control', true)")
    }

    /// Creates the tenant's owner and request roles and its schema (owned by the owner). Both
    /// have no login and no privilege anywhere else; the web process may switch only into the
    /// request role. The request role's grants come with the migrations (`TenantRoles.grants`).
    public func createTenantRoleAndSchema(_ scope: TenantScope, appUser: String) throws(StorageError) {
        try connection.execute(script: TenantRoles.create(scope, appUser: appUser))
    }

    /// Drops a tenant's schema and both its roles. Only offboarding calls it, after a verified export.
    public func dropTenantRoleAndSchema(_ scope: TenantScope) throws(StorageError) {
        try connection.execute(script: try TenantRoles.drop(scope, on: connection))
    }

    /// Applies every pending tenant migration inside the current transaction (onboarding), then
    /// grants the request role once, as the owner.
    public func applyTenantMigrations(_ scope: TenantScope, _ migrations: [Migration]) throws(StorageError) {
        for migration in migrations {
            try Migrator.apply(migration, to: .tenant(scope), on: connection, ownTransaction: false, regrant: false)
        }
        try connection.execute(
            script: [
                try TenantRoles.enterOwner(scope, on: connection), TenantRoles.grants(scope),
                "SELECT set_config('role', 'none', true), set_config('search_path', 'kerb_control', true);",
            ].joined(separator: "\n"))
    }
}
