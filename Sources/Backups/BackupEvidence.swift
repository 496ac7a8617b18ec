import Foundation
import Logging
import PostgresNIO
import Storage

/// The backups and their verifications as the web process shows them: a council's own (read in
/// its transaction, as its request role, through the `kerb_council` views that only ever return
/// that council's rows), and every council's latest for supplier operations and `/metrics`.
public struct BackupEvidence: Sendable {
    let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    public struct Backup: Sendable, Equatable {
        public let id: UUID
        public let startedAt: Date
        public let completedAt: Date
        public let takenBy: String
        public let bytes: Int64
        public let tables: Int
        public let rows: Int64
        public let documents: Int
        public let pruned: Bool
    }

    public struct Check: Sendable, Equatable {
        public let backupID: UUID
        public let startedAt: Date
        public let finishedAt: Date
        public let by: String
        public let passed: Bool
        public let tables: Int
        public let rows: Int64
        public let documents: Int
        public let mismatches: [String]

        public var seconds: Double { finishedAt.timeIntervalSince(startedAt) }
    }

    /// The council's backups and checks, newest first (at most the last 400 of each).
    public func council(_ scope: TenantScope, logger: Logger) async throws -> (backups: [Backup], checks: [Check]) {
        let rows = try await database.statements(
            scope,
            [
                """
                SELECT id, started_at, completed_at, taken_by, coalesce(bytes, 0), coalesce(tables, 0), coalesce(rows, 0),
                       coalesce(documents, 0), pruned_at IS NOT NULL
                FROM kerb_council.backups ORDER BY started_at DESC LIMIT 400
                """,
                """
                SELECT backup_id, started_at, finished_at, verified_by, passed, tables, rows, documents, mismatches
                FROM kerb_council.backup_verifications ORDER BY finished_at DESC LIMIT 400
                """,
            ], logger: logger)
        let backups = try rows[0].map { row in
            let (id, started, completed, by, bytes, tables, count, documents, pruned) = try row.decode(
                (UUID, Date, Date, String, Int64, Int, Int64, Int, Bool).self)
            return Backup(
                id: id, startedAt: started, completedAt: completed, takenBy: by, bytes: bytes, tables: tables, rows: count,
                documents: documents, pruned: pruned)
        }
        let checks = try rows[1].map { row in
            let (id, started, finished, by, passed, tables, count, documents, mismatches) = try row.decode(
                (UUID, Date, Date, String, Bool, Int, Int64, Int, [String]).self)
            return Check(
                backupID: id, startedAt: started, finishedAt: finished, by: by, passed: passed, tables: tables, rows: count,
                documents: documents, mismatches: mismatches)
        }
        return (backups, checks)
    }

    /// One council's state for supplier operations.
    public struct Status: Sendable, Equatable {
        public let slug: String
        public let name: String
        public let lastBackupAt: Date?
        public let lastVerifiedAt: Date?
        /// Whether the newest verification passed; nil if there has been none.
        public let lastPassed: Bool?

        /// Needs attention: never verified, verified more than `limit` ago, or the last check failed.
        public func isOverdue(now: Date, limit: TimeInterval = 36 * 3_600) -> Bool {
            guard let verified = lastVerifiedAt, lastPassed == true else { return true }
            return now.timeIntervalSince(verified) > limit
        }
    }

    /// Every council that is not offboarded (the web login reads `kerb_control.backup_status`).
    public func board(logger: Logger) async throws -> [Status] {
        try await database.controlPlane(
            "SELECT slug, display_name, last_backup_at, last_verified_at, last_passed FROM kerb_control.backup_status ORDER BY display_name",
            logger: logger
        ).map { row in
            let (slug, name, backup, verified, passed) = try row.decode((String, String, Date?, Date?, Bool?).self)
            return Status(slug: slug, name: name, lastBackupAt: backup, lastVerifiedAt: verified, lastPassed: passed)
        }
    }
}
