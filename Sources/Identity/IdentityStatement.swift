import Foundation
import Logging
import PostgresNIO
import Storage

/// How the identity check of every request reaches PostgreSQL: one statement that answers with
/// one JSON document. When the tenant database has a running read pipeline (the web process,
/// which registers `SessionService.pipelineStatements` with it), the role switch and the
/// statement go behind one Sync: one round trip, batched with other requests' reads. Otherwise it
/// is one PostgresNIO transaction whose statements are all written at once
/// (`TenantDatabase.statement`). Either way the statement runs confined to the council's request
/// role and schema, and its writes (last-seen, last-use, an ended session) commit with it.
///
/// Parameters are text (the pipeline's protocol); the SQL casts them (`decode($1, 'hex')`,
/// `to_timestamp($3::float8)`, `$4::int`).
struct IdentityStatement: Sendable {
    let database: TenantDatabase

    /// The statements Identity registers with the read pipeline.
    static let statements: [StaticString] = [SessionService.authenticateSQL, APIKeyService.authenticateSQL]

    /// The JSON answer of `sql` (its one row's one column), or nil when it returned no row.
    func answer(_ sql: StaticString, _ scope: TenantScope, _ parameters: [String], logger: Logger) async throws -> Data? {
        if let reads = database.reads, reads.isRunning {
            let rows = try await reads.fetch(reads.statement(sql), in: scope, parameters)
            guard let row = rows.first, let text = row.first ?? nil else { return nil }
            return Data(text.utf8)
        }
        var binds = PostgresBindings(capacity: parameters.count)
        for parameter in parameters { binds.append(parameter) }
        let rows = try await database.statement(scope, PostgresQuery(unsafeSQL: sql.description, binds: binds), logger: logger)
        guard let row = rows.first else { return nil }
        return Data(try row.decode(String.self).utf8)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// A time as seconds since 1970, as `to_timestamp($n::float8)` reads it back.
    static func epoch(_ date: Date) -> String { String(date.timeIntervalSince1970) }
}
