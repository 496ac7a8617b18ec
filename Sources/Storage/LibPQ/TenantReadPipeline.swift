import Foundation
import KerbCore

/// The hot read path: one tenant-confined read in one network round trip.
///
/// PostgresNIO sends a Sync after every statement, so `BEGIN`, the role switch, the query and
/// `COMMIT` cost four round trips. Here each read is queued on a libpq connection in pipeline
/// mode as `set_config(request role, search_path, local)` + the prepared query + one Sync: PostgreSQL runs
/// everything before a Sync as one implicit transaction, so the role switch binds the query and
/// ends with it, exactly as `TenantDatabase.transaction` does. If the switch fails, PostgreSQL
/// skips the query. Workers also batch whatever reads are waiting into one write.
///
/// Statements are registered once, when the pipeline is made, from the modules' own SQL
/// constants; nothing a request carries can add one.
/// Each is prepared once per tenant schema and connection, inside that tenant's scope, so
/// unqualified table names resolve to that tenant only.
public final class TenantReadPipeline: Sendable {
    /// A registered read statement.
    public struct Statement: Sendable, Hashable {
        let index: Int
    }

    private struct Job {
        let statement: Int
        let scope: TenantScope
        let parameters: [String?]
        let continuation: CheckedContinuation<[[String?]], any Error>
    }

    private let config: DatabaseConfig
    private let confined: Bool
    private let statements: [String]
    private let workerCount: Int
    private let maxBatch = 32
    // SAFETY: `queue` and `stopping` are only touched while holding `condition`.
    private let condition = NSCondition()
    nonisolated(unsafe) private var queue: [Job] = []
    nonisolated(unsafe) private var stopping = false
    nonisolated(unsafe) private var running = 0

    /// `statements` are SQL texts with `$1…` parameters and unqualified table names.
    public convenience init(config: DatabaseConfig, workers: Int, statements: [String]) {
        self.init(config: config, workers: workers, statements: statements, confined: true)
    }

    /// The same machinery without the role switch, for the benchmark only: it measures what
    /// isolation costs. Its statements must name their schema; the app never builds one.
    public static func unconfinedForBenchmark(config: DatabaseConfig, workers: Int, statements: [String]) -> TenantReadPipeline {
        TenantReadPipeline(config: config, workers: workers, statements: statements, confined: false)
    }

    private init(config: DatabaseConfig, workers: Int, statements: [String], confined: Bool) {
        self.confined = confined
        self.config = config
        self.workerCount = max(1, workers)
        self.statements = statements
    }

    /// The handle for the n-th statement given at init; an index it was not given is refused.
    public func statement(_ index: Int) throws(StorageError) -> Statement {
        guard statements.indices.contains(index) else { throw .invalidSetting("the read pipeline has no statement \(index)") }
        return Statement(index: index)
    }

    /// The handle for a statement given at init, by its text (so services can register theirs
    /// alongside others'); one it was not given is refused.
    public func statement(_ sql: String) throws(StorageError) -> Statement {
        guard let index = statements.firstIndex(of: sql) else {
            throw .invalidSetting("the read pipeline was not given this statement")
        }
        return Statement(index: index)
    }

    /// Whether workers are running; reads queued before `start` would wait for it.
    public var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running > 0 && !stopping
    }

    /// Opens every worker's connection (so a bad configuration fails at boot) and starts them.
    public func start() throws {
        for _ in 0..<workerCount {
            let handoff = Handoff(connection: try Self.connect(config))
            condition.lock()
            running += 1
            condition.unlock()
            let thread = Thread { [self] in self.work(handoff.connection) }
            thread.stackSize = 1 << 20
            thread.name = "kerb-read-pipeline"
            thread.start()
        }
    }

    /// Stops the workers after the reads already queued; later reads fail as unavailable.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// Runs `statement` for one tenant and returns its rows as text.
    public func fetch(_ statement: Statement, in scope: TenantScope, _ parameters: [String?] = []) async throws -> [[String?]] {
        DatabaseWork.tally?.add(transactions: 1, statements: 1, pipelined: true)
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(throwing: StorageError.connectionFailed("read pipeline is shut down"))
                return
            }
            queue.append(Job(statement: statement.index, scope: scope, parameters: parameters, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    private static func connect(_ config: DatabaseConfig) throws -> PQConnection {
        let connection = try PQConnection(config, role: .app)
        try connection.prepare("kerb_scope", "SELECT set_config('role', $1, true), set_config('search_path', $2, true)")
        try connection.enterPipelineMode()
        return connection
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        if queue.isEmpty { return nil }
        let count = min(maxBatch, queue.count)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }

    private func work(_ first: PQConnection) {
        var connection: PQConnection? = first
        var prepared: Set<String> = []
        while let batch = nextBatch() {
            var answered = 0
            do {
                if connection == nil || connection!.isBroken {
                    connection = nil
                    prepared = []
                    connection = try Self.connect(config)
                }
                try run(batch, on: connection!, prepared: &prepared, answered: &answered)
            } catch {
                // The connection is in an unknown state: fail what is unanswered, reconnect next time.
                connection = nil
                for job in batch[answered...] { job.continuation.resume(throwing: error) }
            }
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func run(_ batch: [Job], on connection: PQConnection, prepared: inout Set<String>, answered: inout Int) throws {
        var preparing: [Bool] = []
        var queuedPreparations: Set<String> = []
        for job in batch {
            let name = Self.preparedName(job)
            if confined { try connection.sendPrepared("kerb_scope", [job.scope.requestRole, job.scope.schema]) }
            // Prepare once per connection, even when the same read appears twice in a batch.
            let needsPrepare = !prepared.contains(name) && queuedPreparations.insert(name).inserted
            if needsPrepare { try connection.sendPrepare(name, statements[job.statement]) }
            preparing.append(needsPrepare)
            try connection.sendPrepared(name, job.parameters)
            try connection.pipelineSync()
        }
        for (job, needsPrepare) in zip(batch, preparing) {
            // Results in order: the scope switch, the preparation (first use only), the query, Sync.
            var failure: String?
            var rows: [[String?]] = []
            let first = confined ? 1 : 0
            let steps = first + (needsPrepare ? 2 : 1)
            for step in 0..<steps {
                switch try connection.nextPipelineResult() {
                case .rows(let result):
                    if needsPrepare && step == first { prepared.insert(Self.preparedName(job)) }
                    if step == steps - 1 { rows = result }
                case .failed(let message):
                    failure = failure ?? message
                case .sync:
                    throw StorageError.connectionFailed("pipeline out of step")
                }
            }
            guard case .sync = try connection.nextPipelineResult() else {
                throw StorageError.connectionFailed("pipeline out of step")
            }
            answered += 1
            if let failure {
                job.continuation.resume(throwing: StorageError.statementFailed(sqlState: "", message: failure))
            } else {
                job.continuation.resume(returning: rows)
            }
        }
    }

    /// Moves a freshly opened connection to its worker thread.
    // SAFETY: the starting thread gives up the connection once the worker starts; from then on
    // only that worker touches it.
    private final class Handoff: @unchecked Sendable {
        let connection: PQConnection
        init(connection: PQConnection) { self.connection = connection }
    }

    private static func preparedName(_ job: Job) -> String { "k\(job.statement)_\(job.scope.schema)" }
}
