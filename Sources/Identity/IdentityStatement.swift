import Foundation
import KerbCore
import Logging
import Storage

/// How the identity check of every request reaches PostgreSQL: one statement that answers with
/// one JSON document, sent through `TenantDatabase.document` (one pipelined round trip in the web
/// process, which registers `SessionService.pipelineStatements`). The statement runs confined to
/// the council's request role and schema, and its writes (last-seen, last-use, an ended session)
/// commit with it.
///
/// Parameters are text (the pipeline's protocol); the SQL casts them (`decode($1, 'hex')`,
/// `to_timestamp($3::float8)`, `$4::int`).
struct IdentityStatement: Sendable {
    let database: TenantDatabase

    /// The statements Identity registers with the read pipeline.
    static let statements: [String] = [SessionService.authenticateSQL, APIKeyService.authenticateSQL]

    /// The JSON answer of `sql` (its one row's one column), or nil when it returned no row.
    func answer(_ sql: String, _ scope: TenantScope, _ parameters: [String], logger: Logger) async throws -> Data? {
        try await database.document(sql, scope, parameters, logger: logger)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(bytes) }

    /// A time as seconds since 1970, as `to_timestamp($n::float8)` reads it back.
    static func epoch(_ date: Date) -> String { String(date.timeIntervalSince1970) }
}
