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

    /// Switches the rest of the current transaction into the tenant's role and schema, the same
    /// confinement the web process gets, then back with `leaveTenant()`.
    public func enterTenant(_ scope: TenantScope) throws(StorageError) {
        try connection.query(
            "SELECT set_config('role', $1, true), set_config('search_path', $2, true)", [scope.role, scope.schema])
    }

    public func leaveTenant() throws(StorageError) {
        try connection.query("SELECT set_config('role', 'none', true), set_config('search_path', 'kerb_control', true)")
    }

    /// Creates the tenant's role and schema (owned by that role) and lets both login roles switch
    /// into it. The role has no login and no privilege anywhere else.
    public func createTenantRoleAndSchema(_ scope: TenantScope, appUser: String) throws(StorageError) {
        let role = quoteIdentifier(scope.role)
        try connection.execute(
            script: """
                CREATE ROLE \(role) NOLOGIN NOINHERIT;
                GRANT \(role) TO CURRENT_USER;
                GRANT \(role) TO \(quoteIdentifier(appUser));
                CREATE SCHEMA \(quoteIdentifier(scope.schema)) AUTHORIZATION \(role);
                """)
    }

    /// Drops a tenant's schema and role. Only offboarding calls it, after a verified export.
    public func dropTenantRoleAndSchema(_ scope: TenantScope) throws(StorageError) {
        try connection.execute(
            script: """
                DROP SCHEMA IF EXISTS \(quoteIdentifier(scope.schema)) CASCADE;
                DROP ROLE IF EXISTS \(quoteIdentifier(scope.role));
                """)
    }

    /// Applies every pending tenant migration inside the current transaction (onboarding).
    public func applyTenantMigrations(_ scope: TenantScope, _ migrations: [Migration]) throws(StorageError) {
        for migration in migrations {
            try Migrator.apply(migration, to: .tenant(scope), on: connection, ownTransaction: false)
        }
    }
}
