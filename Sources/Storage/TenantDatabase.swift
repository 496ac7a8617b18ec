import Logging
import PostgresNIO

/// The only way request code reaches a tenant's tables.
///
/// Every transaction first switches, transaction-locally, into the tenant's request role and
/// schema (`set_config(…, true)` is `SET LOCAL` with the names bound as values). The login role
/// owns nothing and has no privileges of its own, so a query that forgets a filter, or names
/// another council's schema outright, is refused by PostgreSQL itself; and the request role owns
/// nothing either, so no request can alter, drop or truncate a table or rewrite the audit trail. `SET LOCAL` ends with the
/// transaction, so this stays correct behind a transaction-pooling pgBouncer.
public struct TenantDatabase: Sendable {
    public let client: PostgresClient

    public init(client: PostgresClient) { self.client = client }

    @discardableResult
    public func transaction<T: Sendable>(
        _ scope: TenantScope, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query(
                    "SELECT set_config('role', \(scope.requestRole), true), set_config('search_path', \(scope.schema), true)",
                    logger: logger
                ).collect()
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            // Surface the caller's own error, not the wrapper, so domain errors keep their kind.
            if let closureError = error.closureError { throw closureError }
            throw error
        }
    }
}

extension PostgresClient {
    /// A pool as the given login role. `maxConnections` bounds what this process holds.
    public convenience init(_ config: DatabaseConfig, login: DatabaseConfig.Login, maxConnections: Int, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: config.host, port: config.port, username: config.username(login),
            password: config.password(login), database: config.database, tls: config.postgresClientTLS)
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 0
        self.init(configuration: configuration, backgroundLogger: logger)
    }
}
