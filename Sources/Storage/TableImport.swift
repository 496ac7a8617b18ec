/// Writing a council's tables whole, for `kerb tenant import`: the foreign keys that decide the
/// order tables (and rows of a self-referencing table) are written in, inserts of rows given as
/// PostgreSQL's text forms, and the owner-only steps an import needs (emptying the onboarding
/// rows, carrying an audit chain as it is, moving identity sequences past imported values).
/// Runs in the caller's admin transaction, inside the council. Table and column names are only
/// ever ones the catalogue lists for the council's schema, so no name from a file reaches SQL.
extension AdminSession {
    /// A foreign key of the council's schema: `table(columns)` references `references(referenced)`.
    public struct ForeignKey: Sendable, Equatable {
        public let table: String
        public let columns: [String]
        public let references: String
        public let referenced: [String]

        public init(table: String, columns: [String], references: String, referenced: [String]) {
            self.table = table
            self.columns = columns
            self.references = references
            self.referenced = referenced
        }
    }

    /// Every foreign key between the council's tables, from PostgreSQL's catalogue.
    public func foreignKeys(_ scope: TenantScope) throws(StorageError) -> [ForeignKey] {
        try connection.query(
            """
            SELECT t.relname, r.relname,
                (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
                (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                JOIN pg_class r ON r.oid = c.confrelid
            WHERE c.contype = 'f' AND n.nspname = $1 ORDER BY c.conname
            """, [scope.schema]
        ).compactMap { row in
            guard let table = row[0], let references = row[1], let columns = row[2], let referenced = row[3] else { return nil }
            return ForeignKey(
                table: table, columns: columns.split(separator: ",").map(String.init), references: references,
                referenced: referenced.split(separator: ",").map(String.init))
        }
    }

    /// A prepared insert into one table of the council: the statement is built once from names
    /// checked against the catalogue; rows are bound as text and PostgreSQL parses each value
    /// with its column's type.
    public struct RowInserter: Sendable {
        public let table: String
        public let columns: [String]
        let target: String
        let overriding: Bool
    }

    /// An inserter for `columns` of `table`, refused if either is not in the council's schema.
    /// Identity columns take the given values (OVERRIDING SYSTEM VALUE), so ids are kept.
    public func inserter(_ scope: TenantScope, table: String, columns: [String]) throws(StorageError) -> RowInserter {
        guard try tables(scope).contains(table) else { throw StorageError.invalidSetting("no table \(table) in \(scope.schema)") }
        let known = Set(try self.columns(scope, table: table).map(\.name))
        guard !columns.isEmpty, Set(columns).count == columns.count, columns.allSatisfy(known.contains) else {
            throw StorageError.invalidSetting("the columns given are not those of \(table)")
        }
        let identity = try connection.query(
            """
            SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attidentity <> '' AND NOT a.attisdropped
            """, [scope.schema, table])
        let target =
            quoteIdentifier(scope.schema) + "." + quoteIdentifier(table) + " (" + columns.map(quoteIdentifier).joined(separator: ", ") + ")"
        return RowInserter(table: table, columns: columns, target: target, overriding: !identity.isEmpty)
    }

    /// Inserts `rows` (each as many values as the inserter's columns; nil is NULL) in one statement.
    public func insert(_ inserter: RowInserter, _ rows: [[String?]]) throws(StorageError) {
        guard !rows.isEmpty else { return }
        let width = inserter.columns.count
        var values: [String] = []
        var parameters: [String?] = []
        for row in rows {
            guard row.count == width else { throw StorageError.invalidSetting("a row of \(inserter.table) has the wrong number of values") }
            let first = parameters.count
            values.append("(" + (1...width).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
            parameters += row
        }
        let sql =
            "INSERT INTO \(inserter.target)\(inserter.overriding ? " OVERRIDING SYSTEM VALUE" : "") VALUES "
            + values.joined(separator: ", ")
        try connection.query(sql, parameters)
    }

    /// Marks a point the transaction can return to after a refused statement (`rollback(to:)`).
    public func savepoint(_ name: StaticString) throws(StorageError) { try connection.execute(script: "SAVEPOINT \(name)") }
    public func release(_ name: StaticString) throws(StorageError) { try connection.execute(script: "RELEASE SAVEPOINT \(name)") }
    public func rollback(to name: StaticString) throws(StorageError) { try connection.execute(script: "ROLLBACK TO SAVEPOINT \(name)") }

    /// Deletes every row of `table` (one of `tables(scope)`): an import replacing what
    /// onboarding seeded. Needs the owner scope for tables whose triggers refuse deletion.
    public func deleteAll(_ scope: TenantScope, table: String) throws(StorageError) {
        guard try tables(scope).contains(table) else { throw StorageError.invalidSetting("no table \(table) in \(scope.schema)") }
        try connection.execute(script: "DELETE FROM \(quoteIdentifier(scope.schema)).\(quoteIdentifier(table))")
    }

    /// Switches `table`'s own triggers (not its foreign keys) off or on for the rest of the
    /// transaction's work, as the owner: an import carries an audit chain as it was written
    /// instead of letting the chaining trigger re-number it. The switch is transactional.
    public func setUserTriggers(_ scope: TenantScope, table: String, enabled: Bool) throws(StorageError) {
        guard try tables(scope).contains(table) else { throw StorageError.invalidSetting("no table \(table) in \(scope.schema)") }
        try connection.execute(
            script: "ALTER TABLE \(quoteIdentifier(scope.schema)).\(quoteIdentifier(table)) \(enabled ? "ENABLE" : "DISABLE") TRIGGER USER")
    }

    /// Moves every identity column's sequence of `table` past the largest value it holds, so the
    /// next generated id does not collide with an imported one.
    public func advanceIdentities(_ scope: TenantScope, table: String) throws(StorageError) {
        let qualified = quoteIdentifier(scope.schema) + "." + quoteIdentifier(table)
        let columns = try connection.query(
            """
            SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attidentity <> '' AND NOT a.attisdropped
            """, [scope.schema, table]
        ).compactMap { $0[0] }
        for column in columns {
            try connection.query(
                "SELECT setval(pg_get_serial_sequence($1, $2), greatest((SELECT max(\(quoteIdentifier(column))) FROM \(qualified)), 1), (SELECT count(*) > 0 FROM \(qualified)))",
                [qualified, column])
        }
    }
}
