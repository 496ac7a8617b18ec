/// Reading a council's tables whole, for its export and the export's verification: every base
/// table of the schema, every column, rows in a fixed order, as PostgreSQL's text forms. Runs in
/// the caller's admin transaction (one snapshot when it is REPEATABLE READ), inside the council.
extension AdminSession {
    public struct Column: Sendable, Equatable, Codable {
        public let name: String
        public let type: String
        public let nullable: Bool
    }

    /// The base tables of the council's schema, by name, from PostgreSQL's catalogue.
    public func tables(_ scope: TenantScope) throws(StorageError) -> [String] {
        try connection.query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1",
            [scope.schema]
        ).compactMap { $0[0] }
    }

    /// The table's columns in order, with their types as PostgreSQL writes them.
    public func columns(_ scope: TenantScope, table: String) throws(StorageError) -> [Column] {
        try connection.query(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [scope.schema, table]
        ).compactMap { row in
            guard let name = row[0], let type = row[1] else { return nil }
            return Column(name: name, type: type, nullable: row[2] == "t")
        }
    }

    /// Every row of `table` (which must be one of `tables(scope)`), ordered by the row's text so
    /// two reads of the same data give the same sequence, handed to `body` in batches.
    public func eachBatch(
        _ scope: TenantScope, table: String, batchSize: Int = 2_000, _ body: ([[String?]]) throws -> Void
    ) throws {
        guard try tables(scope).contains(table) else { throw StorageError.invalidSetting("no table \(table) in \(scope.schema)") }
        let name = quoteIdentifier(scope.schema) + "." + quoteIdentifier(table)
        try connection.execute(script: "DECLARE kerb_export NO SCROLL CURSOR FOR SELECT * FROM \(name) t ORDER BY t::text")
        defer { try? connection.execute(script: "CLOSE kerb_export") }
        while true {
            let rows = try connection.query("FETCH \(max(1, batchSize)) FROM kerb_export")
            if rows.isEmpty { break }
            try body(rows)
        }
    }

    /// Makes the rest of the transaction one read-only snapshot (call before its first query).
    public func readOnlySnapshot() throws(StorageError) {
        try connection.execute(script: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    }
}
