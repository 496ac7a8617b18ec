import Foundation
import Logging
import PostgresNIO
import Storage
import Synchronization

/// Logs the views of many concurrent reads in few transactions: group commit inside the
/// process. A read awaits its own view's commit before it answers, so nothing is ever shown
/// unlogged; while one batch of a council's views commits, the views of its other reads gather
/// for the next. The read itself stays read-only (a pipelined statement with no transaction id
/// and no WAL), and under load one commit takes the place of dozens.
public final class ViewRecorder: Sendable {
    struct Waiting: Sendable {
        let view: RecordView
        let viewer: Viewer
        let continuation: CheckedContinuation<Void, any Error>
    }

    struct Queue: Sendable {
        var waiting: [Waiting] = []
        var flushing = false
    }

    let database: TenantDatabase
    private let queues = Mutex<[String: Queue]>([:])

    public init(database: TenantDatabase) {
        self.database = database
    }

    /// Logs `view` by `viewer` in council `scope`; returns once it is committed.
    public func record(_ view: RecordView, by viewer: Viewer, scope: TenantScope, logger: Logger) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let starts = queues.withLock { queues in
                var queue = queues[scope.schema] ?? Queue()
                queue.waiting.append(Waiting(view: view, viewer: viewer, continuation: continuation))
                let starts = !queue.flushing
                queue.flushing = true
                queues[scope.schema] = queue
                return starts
            }
            if starts { Task { await self.flush(scope, logger: logger) } }
        }
    }

    /// Commits what is waiting for `scope`, batch after batch, until nothing is.
    private func flush(_ scope: TenantScope, logger: Logger) async {
        while true {
            let batch = queues.withLock { queues -> [Waiting] in
                var queue = queues[scope.schema] ?? Queue()
                let batch = queue.waiting
                queue.waiting = []
                queue.flushing = !batch.isEmpty
                queues[scope.schema] = batch.isEmpty ? nil : queue
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await write(batch, scope, logger)
                for item in batch { item.continuation.resume() }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }

    /// One INSERT for the whole batch (columns as text arrays; an empty id is NULL).
    private func write(_ batch: [Waiting], _ scope: TenantScope, _ logger: Logger) async throws {
        let columns: [[String]] = [
            batch.map { $0.viewer.actorID?.uuidString ?? "" }, batch.map(\.viewer.actor), batch.map(\.view.kind.rawValue),
            batch.map { String($0.view.record.prefix(200)) }, batch.map { $0.view.personID?.uuidString ?? "" },
            batch.map(\.viewer.client), batch.map(\.viewer.requestID),
        ]
        var binds = PostgresBindings(capacity: columns.count)
        for column in columns { binds.append(column) }
        _ = try await database.statement(
            scope,
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO record_views (actor_id, actor, kind, record, person_id, client, request_id)
                    SELECT nullif(a, '')::uuid, b, c, d, nullif(e, '')::uuid, f, g
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS v(a, b, c, d, e, f, g)
                    """, binds: binds), logger: logger)
    }
}
