import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The only way request code reaches a tenant's tables.
///
/// Every transaction first switches, transaction-locally, into the tenant's request role and
/// schema (`set_config(…, true)` is `SET LOCAL` with the names bound as values). The login role
/// owns nothing and has no privileges of its own, so a query that forgets a filter, or names
/// another council's schema outright, is refused by PostgreSQL itself; and the request role owns
/// nothing either, so no request can alter, drop or truncate a table or rewrite the audit trail. `SET LOCAL` ends with the
/// transaction, so this stays correct behind a transaction-pooling pgBouncer.
///
/// ## Round trips
/// PostgresNIO sends a Sync after every statement and runs one statement at a time per
/// connection, so each statement is one network round trip, and each `await` between them is a
/// hop from the event loop to the task and back. What this type does about it:
/// - `transaction` writes `BEGIN` and the role switch without waiting for them: the body's first
///   statement queues behind them on the connection (which sends each the moment the previous
///   is answered), so opening a transaction costs no `await` and `COMMIT` is the only fixed
///   one. PostgreSQL still sees `3 + statements` round trips; the way to fewer is fewer
///   statements: one set-based query (joins, `json_agg`, data-modifying CTEs) instead of a
///   query per table, and one transaction per request instead of one per step.
/// - `statement` / `statements` run one statement, or several that do not depend on each
///   other's answers, in their own transaction with `BEGIN`, the role switch, the statements and
///   `COMMIT` all written at once: one `await` for the lot. Use them for a request's database
///   work when it is known up front (an identity check that also touches last-use; a case file
///   read as a handful of queries keyed by the reference).
/// - `TenantReadPipeline` (libpq pipeline mode) is the one-round-trip path for registered
///   statements: role switch + statement behind one Sync, batched across requests.
/// `DatabaseWork.counting` counts the transactions a piece of work begins, for tests that hold a
/// request to its budget.
public struct TenantDatabase: Sendable {
    /// The pool itself stays inside Storage: every module's work goes through a confined
    /// transaction, a statement, the read pipeline or the control-plane read below.
    let client: PostgresClient
    /// The web process's pipelined read path (nil elsewhere: the CLI, most tests). Services that
    /// registered statements with it send them this way while it runs.
    public let reads: TenantReadPipeline?

    public init(client: PostgresClient, reads: TenantReadPipeline? = nil) {
        self.client = client
        self.reads = reads
    }

    /// Runs `body` in one transaction, confined to the tenant's request role and schema:
    /// committed if it returns, rolled back if it throws (the error thrown is the body's own, or
    /// the opening's if `BEGIN` or the switch failed).
    ///
    /// `BEGIN` and the switch are written to the connection and not awaited: the body's first
    /// statement queues behind them on the same connection, which runs its statements strictly
    /// in order, so it runs inside the transaction and as the request role, or, if either
    /// failed, meets an aborted transaction (were `BEGIN` itself refused, the login role, which
    /// may read and write nothing). Their outcome is checked before `COMMIT`.
    @discardableResult
    public func transaction<T: Sendable>(
        _ scope: TenantScope, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
            DatabaseWork.tally?.add(transactions: 1, statements: 0)
            let opening = Self.open(scope, on: connection, logger: logger)
            let value: T
            do {
                value = try await body(connection)
            } catch {
                // One await for the opening's outcome and the rollback; a failed rollback (a
                // broken connection) is the pool's business.
                let rollback: EventLoopFuture<PostgresQueryResult> = connection.query("ROLLBACK", logger: logger)
                let results = await Self.outcomes(opening + [rollback], on: connection)
                throw Self.firstError(results.dropLast()) ?? error
            }
            // `COMMIT` after a failed opening ends an aborted transaction (or none): nothing of
            // the body is kept, and the opening's error is thrown.
            let commit: EventLoopFuture<PostgresQueryResult> = connection.query("COMMIT", logger: logger)
            let results = await Self.outcomes(opening + [commit], on: connection)
            if let error = Self.firstError(results) { throw error }
            return value
        }
    }

    /// One statement in its own confined transaction, with `BEGIN`, the role switch, `query` and
    /// `COMMIT` written to the connection at once (one `await`, four statements on the wire).
    /// If `BEGIN` or the switch fails, PostgreSQL runs nothing else of it: the statement meets an
    /// aborted transaction (or, were `BEGIN` itself refused, runs as the login role, which may
    /// read and write nothing). A failing statement rolls the transaction back (`COMMIT` of an
    /// aborted transaction is a rollback) and its error is thrown.
    public func statement(_ scope: TenantScope, _ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await statements(scope, [query], logger: logger).first ?? []
    }

    /// Several statements in one confined transaction, all written at once with `BEGIN`, the role
    /// switch and `COMMIT`: one `await` however many there are. For work whose statements do not
    /// depend on each other's answers (a case file: the case, its timeline, evidence, letters…,
    /// each keyed by the reference); the rows come back per statement, in order. All or nothing:
    /// the first failure rolls everything back and is thrown.
    public func statements(_ scope: TenantScope, _ queries: [PostgresQuery], logger: Logger) async throws -> [[PostgresRow]] {
        DatabaseWork.tally?.add(transactions: 1, statements: queries.count)
        return try await client.withConnection { connection in
            var futures = Self.open(scope, on: connection, logger: logger)
            for query in queries {
                let future: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
                futures.append(future)
            }
            let commit: EventLoopFuture<PostgresQueryResult> = connection.query("COMMIT", logger: logger)
            futures.append(commit)
            // Everything answered before anything is thrown, so the connection goes back idle.
            let results = await Self.outcomes(futures, on: connection)
            if let error = Self.firstError(results) { throw error }
            return results.dropFirst(2).dropLast().map { result in
                if case .success(let answer) = result { answer.rows } else { [] }
            }
        }
    }

    /// The JSON answer of a read registered with the pipeline (its one row's one text column), or
    /// nil when it returned no row. While the process's read pipeline runs, the role switch and
    /// the prepared statement go behind one Sync (one round trip, batched with other requests'
    /// reads, planned once per council and connection); otherwise (the CLI, most tests) it is
    /// `statement`. Either way it runs confined, and whatever it writes commits with it.
    /// Parameters are text (the pipeline's protocol): the SQL casts them.
    public func document(_ sql: String, _ scope: TenantScope, _ parameters: [String], logger: Logger) async throws -> Data? {
        if let reads, reads.isRunning {
            let rows = try await reads.fetch(reads.statement(sql), in: scope, parameters)
            guard let row = rows.first, let text = row.first ?? nil else { return nil }
            return Data(text.utf8)
        }
        var binds = PostgresBindings(capacity: parameters.count)
        for parameter in parameters { binds.append(parameter) }
        let rows = try await statement(scope, PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        guard let row = rows.first else { return nil }
        return Data(try row.decode(String.self).utf8)
    }

    /// Writes `BEGIN` and the role switch to the connection; the statements written after them
    /// run after them.
    static func open(_ scope: TenantScope, on connection: PostgresConnection, logger: Logger) -> [EventLoopFuture<PostgresQueryResult>] {
        [connection.query("BEGIN", logger: logger), connection.query(enterQuery(scope), logger: logger)]
    }

    /// Every future's outcome, in order, in one await.
    static func outcomes(_ futures: [EventLoopFuture<PostgresQueryResult>], on connection: PostgresConnection) async
        -> [Result<PostgresQueryResult, any Error>]
    {
        (try? await EventLoopFuture.whenAllComplete(futures, on: connection.eventLoop).get()) ?? []
    }

    static func firstError<C: Collection>(_ results: C) -> (any Error)? where C.Element == Result<PostgresQueryResult, any Error> {
        for result in results { if case .failure(let error) = result { return error } }
        return nil
    }

    /// The transaction-local switch into the tenant's request role and schema; the names are
    /// bound as values, never spliced into SQL.
    static func enterQuery(_ scope: TenantScope) -> PostgresQuery {
        "SELECT set_config('role', \(scope.requestRole), true), set_config('search_path', \(scope.schema), true)"
    }
}

/// Counts the tenant transactions (and the statements `TenantDatabase.statement` sends) that a
/// piece of work runs, through a task-local tally: tests wrap one request in `counting` to hold
/// it to its round-trip budget without seeing other tests' work.
public enum DatabaseWork {
    public final class Tally: Sendable {
        private let counts = Mutex((transactions: 0, statements: 0, pipelined: 0))
        public init() {}
        func add(transactions: Int, statements: Int, pipelined: Bool = false) {
            counts.withLock {
                $0.transactions += transactions
                $0.statements += statements
                if pipelined { $0.pipelined += transactions }
            }
        }
        /// Transactions begun (`transaction`, `statement`, and one per pipelined read).
        public var transactions: Int { counts.withLock { $0.transactions } }
        /// Of those, the pipelined reads: one round trip each, with a prepared statement.
        public var pipelined: Int { counts.withLock { $0.pipelined } }
    }

    @TaskLocal public static var tally: Tally?

    /// Runs `body` with a fresh tally and returns it with the body's value.
    public static func counting<T>(_ body: () async throws -> T) async rethrows -> (value: T, tally: Tally) {
        let tally = Tally()
        let value = try await $tally.withValue(tally) { try await body() }
        return (value, tally)
    }
}

extension TenantDatabase {
    /// The application's pool (`kerb_app`, at most `config.maxConnections`) with the read
    /// pipeline, if the process runs one.
    public static func application(_ config: DatabaseConfig, reads: TenantReadPipeline?, logger: Logger) -> TenantDatabase {
        TenantDatabase(client: PostgresClient(config, login: .app, maxConnections: config.maxConnections, logger: logger), reads: reads)
    }

    /// The pool's connections, as a service the process runs until shutdown.
    public var pool: some Service { client }

    /// A read of the control plane (`kerb_control`) as the login role, outside any council: the
    /// tenant directory's lookups, which the login role is granted and nothing else.
    public func controlPlane(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await client.query(query, logger: logger) { rows.append(row) }
        return rows
    }

    /// True when PostgreSQL answers `SELECT 1` (the health check load balancers read).
    public func isReachable(logger: Logger) async -> Bool {
        do {
            var answer: Int?
            for try await value in try await client.query("SELECT 1", logger: logger).decode(Int.self) { answer = value }
            return answer == 1
        } catch {
            return false
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
