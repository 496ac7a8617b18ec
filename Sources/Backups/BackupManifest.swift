import Foundation
import Storage

/// What a backup holds, written last into its folder (`manifest.json`); its SHA-256 is kept in
/// the control plane, so a manifest changed afterwards is refused before anything is trusted.
public struct BackupManifest: Codable, Sendable, Equatable {
    /// A file of the backup, as written.
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var bytes: Int

        public init(path: String, sha256: String, bytes: Int) {
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// A document: its stored (encrypted) file, and the SHA-256 of its content recorded on its row.
    public struct Document: Codable, Sendable, Equatable {
        public var id: String
        public var sha256: String
        public var file: File
    }

    public var format = "kerb-backup/1"
    public var id: String
    public var council: String
    public var schema: String
    public var takenAt: String
    public var takenBy: String
    /// PostgreSQL's version where it was taken (`server_version_num`).
    public var serverVersion: String
    /// The council's last migration at the time.
    public var migration: String
    /// The last audit entry it includes.
    public var auditSeq: Int64
    /// Per table, in the same snapshot as the dump.
    public var tables: [TableChecksum]
    /// `pg_dump --format=custom` of the schema, encrypted (`BackupArchive`).
    public var database: File
    /// The dump's own key, sealed with the council's data key for this backup only.
    public var sealedKey: String
    public var documents: [Document]

    public init(
        id: String, council: String, schema: String, takenAt: String, takenBy: String, serverVersion: String, migration: String,
        auditSeq: Int64, tables: [TableChecksum], database: File, sealedKey: String, documents: [Document]
    ) {
        self.id = id
        self.council = council
        self.schema = schema
        self.takenAt = takenAt
        self.takenBy = takenBy
        self.serverVersion = serverVersion
        self.migration = migration
        self.auditSeq = auditSeq
        self.tables = tables
        self.database = database
        self.sealedKey = sealedKey
        self.documents = documents
    }

    public var rowCount: Int64 { tables.reduce(0) { $0 + $1.rows } }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }

    /// Table by table, what `restored` (recomputed after a restore) gets wrong; empty if nothing.
    public func mismatches(restored: [TableChecksum]) -> [String] {
        var problems: [String] = []
        let found = Dictionary(restored.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for table in tables {
            guard let other = found[table.name] else {
                problems.append("table \(table.name) is missing after the restore")
                continue
            }
            if other.rows != table.rows {
                problems.append("table \(table.name) has \(other.rows) rows after the restore, \(table.rows) in the backup")
            } else if other.checksum != table.checksum {
                problems.append("table \(table.name) differs from the backup (checksum)")
            }
        }
        for name in Set(found.keys).subtracting(tables.map(\.name)).sorted() {
            problems.append("table \(name) appears after the restore but is not in the backup")
        }
        return problems
    }
}
