import Foundation

/// One table of a council as a backup's manifest records it: how many rows, and a checksum of
/// their content that does not depend on the order rows are stored in.
public struct TableChecksum: Codable, Sendable, Equatable {
    public var name: String
    public var rows: Int64
    /// The sum, as a decimal, of the first 64 bits of each row's MD5 (of the row as PostgreSQL
    /// writes it as text, under fixed output settings): a restore that loses, adds or changes a
    /// row changes it. The backup's own integrity rests on its encryption and file hashes.
    public var checksum: String

    public init(name: String, rows: Int64, checksum: String) {
        self.name = name
        self.rows = rows
        self.checksum = checksum
    }

    /// The select list computing `rows` and `checksum` over `t`, one table's rows (also used
    /// inside SQL that checks a restore in its own transaction).
    public static let selectList = "count(*)::text, coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text"

    /// Output settings fixed for the transaction, so the rows' text is the same in every session
    /// and on every server the checksum is computed on.
    public static let fixedOutput =
        "SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true)"
}

/// A database Kerb makes to restore a backup into and drops afterwards. Named
/// `kerb_scratch_<32 hex digits>`, so nothing else can be mistaken for one and dropped.
public struct ScratchDatabase: Sendable, Hashable {
    public let name: String

    public init() { name = "kerb_scratch_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    public init?(_ name: String) {
        let suffix = name.dropFirst("kerb_scratch_".count)
        guard name.hasPrefix("kerb_scratch_"), suffix.count == 32, suffix.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            return nil
        }
        self.name = name
    }
}

extension AdminSession {
    /// Every table of the council with its row count and checksum, in the caller's transaction
    /// (one snapshot when it is REPEATABLE READ), read as the council's owner.
    public func tableChecksums(_ scope: TenantScope) throws(StorageError) -> [TableChecksum] {
        try connection.query(TableChecksum.fixedOutput)
        try enterTenantAsOwner(scope)
        defer { try? leaveTenant() }
        return try tables(scope).map { table throws(StorageError) in
            let name = quoteIdentifier(scope.schema) + "." + quoteIdentifier(table)
            let row = try connection.query("SELECT \(TableChecksum.selectList) FROM \(name) t").first
            guard let row, let rows = row[0].flatMap({ Int64($0) }), let checksum = row[1] else {
                throw StorageError.invalidSetting("no checksum for \(table)")
            }
            return TableChecksum(name: table, rows: rows, checksum: checksum)
        }
    }

    /// Names the caller's snapshot so another session (`pg_dump --snapshot`) reads exactly what
    /// this transaction reads. Valid while the transaction is open.
    public func exportSnapshot() throws(StorageError) -> String {
        guard let name = try connection.query("SELECT pg_export_snapshot()").first?[0] ?? nil else {
            throw StorageError.invalidSetting("PostgreSQL did not name the snapshot")
        }
        return name
    }

    /// Creates `scratch`, owned by `kerb_admin`, closed to everyone else, with the extensions a
    /// council's schema uses, and lets `scope`'s owner create its schema there (so a restore
    /// runs as that owner, as migrations do). Outside a transaction.
    public func createScratchDatabase(_ scratch: ScratchDatabase) throws(StorageError) {
        try connection.execute(script: "CREATE DATABASE \(quoteIdentifier(scratch.name)) TEMPLATE template0 ENCODING 'UTF8'")
        try connection.execute(script: "REVOKE ALL ON DATABASE \(quoteIdentifier(scratch.name)) FROM PUBLIC")
    }

    /// In a session on the scratch database itself: the `kerb_ext` schema and its extension,
    /// and `scope`'s owner allowed to create its schema.
    public func prepareScratch(_ scratch: ScratchDatabase, for scope: TenantScope) throws(StorageError) {
        try connection.execute(
            script: """
                CREATE SCHEMA IF NOT EXISTS kerb_ext;
                CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA kerb_ext;
                GRANT USAGE ON SCHEMA kerb_ext TO PUBLIC;
                GRANT CREATE ON DATABASE \(quoteIdentifier(scratch.name)) TO \(quoteIdentifier(scope.ownerRole));
                """)
    }

    /// Drops `scratch`. Outside a transaction. Not `WITH (FORCE)`: that would have to end the
    /// autovacuum worker a fresh restore attracts, which only a superuser may; a plain drop makes
    /// autovacuum leave by itself. A session still closing is waited for, a few times.
    public func dropScratchDatabase(_ scratch: ScratchDatabase) throws(StorageError) {
        var attempt = 0
        while true {
            do {
                try connection.execute(script: "DROP DATABASE IF EXISTS \(quoteIdentifier(scratch.name))")
                return
            } catch let error where error.sqlState == "55006" && attempt < 20 {
                attempt += 1
                usleep(250_000)
            }
        }
    }

    /// Scratch databases left by a process that died before dropping its own.
    public func scratchDatabases() throws(StorageError) -> [ScratchDatabase] {
        try connection.query("SELECT datname FROM pg_database WHERE datname LIKE 'kerb\\_scratch\\_%'").compactMap {
            $0[0].flatMap(ScratchDatabase.init)
        }
    }

    /// Drops a schema a restore set aside (`<schema>_before_<8 hex>`), as the council's owner.
    public func dropSetAside(_ scope: TenantScope, _ kept: String) throws(StorageError) {
        let suffix = kept.dropFirst(scope.schema.count + "_before_".count)
        guard kept.hasPrefix(scope.schema + "_before_"), suffix.count == 8, suffix.allSatisfy({ $0.isHexDigit && !$0.isUppercase })
        else { throw StorageError.unsafeIdentifier }
        try enterTenantAsOwner(scope)
        try connection.execute(script: "DROP SCHEMA IF EXISTS \(quoteIdentifier(kept)) CASCADE")
        try leaveTenant()
    }

    /// Whether `schema` exists in this database.
    public func schemaExists(_ schema: String) throws(StorageError) -> Bool {
        !(try connection.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]).isEmpty)
    }
}

extension AdminDatabase {
    /// The same login and server, another database of the cluster (a scratch restore).
    public func elsewhere(_ scratch: ScratchDatabase) -> AdminDatabase {
        var config = self.config
        config.database = scratch.name
        return AdminDatabase(config: config, threads: threads)
    }
}
