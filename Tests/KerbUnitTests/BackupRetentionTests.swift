import Backups
import Foundation
import Storage
import Testing

/// Which backups the retention rule keeps, and how a restore's tables are compared with the
/// manifest (issue 13); no database.
@Suite struct BackupRetentionTests {
    static let day: TimeInterval = 86_400
    /// Wednesday 2 December 2026, 23:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_796_252_400)

    @Test func keepsTheNewestOfEachDayWeekAndMonthAndNothingElse() {
        // Two backups a day for 120 days, at 23:00 (even ids) and 11:00 (odd ids).
        let backups = (0..<240).map { (id: $0, at: Self.now.addingTimeInterval(-Double($0) * Self.day / 2)) }
        let kept = BackupRetention(daily: 7, weekly: 4, monthly: 3).kept(backups, now: Self.now)
        // The newest of each of the last 7 days is that day's 23:00 one; every rule keeps a newest.
        for day in 0..<7 { #expect(kept.contains(day * 2)) }
        #expect(kept.allSatisfy { $0 % 2 == 0 })
        // Nothing older than three months survives.
        #expect(kept.allSatisfy { backups[$0].at > Self.now.addingTimeInterval(-100 * Self.day) })
        // At most 7 + 4 + 3 backups, fewer where the rules pick the same one.
        #expect(kept.count <= 14 && kept.count >= 9)
    }

    @Test func theNewestIsAlwaysKeptEvenWithEveryCountAtZero() {
        let backups = [
            (id: "old", at: Self.now.addingTimeInterval(-400 * Self.day)), (id: "older", at: Self.now.addingTimeInterval(-500 * Self.day)),
        ]
        #expect(BackupRetention(daily: 0, weekly: 0, monthly: 0).kept(backups, now: Self.now) == ["old"])
        #expect(BackupRetention().kept([(id: 1, at: Self.now)], now: Self.now) == [1])
        #expect(BackupRetention().kept([(id: Int, at: Date)](), now: Self.now).isEmpty)
    }

    @Test func retentionSettingsAreCheckedWithAOneLineReason() throws {
        #expect(try BackupRetention.fromEnvironment([:]) == BackupRetention(daily: 7, weekly: 5, monthly: 12))
        #expect(try BackupRetention.fromEnvironment(["KERB_BACKUP_KEEP_DAILY": "30"]).daily == 30)
        for bad in ["-1", "x", "4000", "7.5"] {
            #expect(throws: BackupError.notSet("KERB_BACKUP_KEEP_WEEKLY must be a whole number from 0 to 3650")) {
                try BackupRetention.fromEnvironment(["KERB_BACKUP_KEEP_WEEKLY": bad])
            }
        }
    }

    @Test func aRestoreIsComparedTableByTable() {
        let manifest = BackupManifest(
            id: "b", council: "c", schema: "t_c", takenAt: "", takenBy: "", serverVersion: "150000", migration: "0018", auditSeq: 3,
            tables: [
                TableChecksum(name: "people", rows: 2, checksum: "10"), TableChecksum(name: "badges", rows: 1, checksum: "5"),
                TableChecksum(name: "users", rows: 1, checksum: "7"),
            ],
            database: .init(path: "database.pgdump.kerb", sha256: "", bytes: 0), sealedKey: "", documents: [])
        #expect(manifest.mismatches(restored: manifest.tables).isEmpty)
        let restored = [
            TableChecksum(name: "people", rows: 1, checksum: "10"), TableChecksum(name: "badges", rows: 1, checksum: "6"),
            TableChecksum(name: "extra", rows: 0, checksum: "0"),
        ]
        #expect(
            manifest.mismatches(restored: restored) == [
                "table people has 1 rows after the restore, 2 in the backup",
                "table badges differs from the backup (checksum)",
                "table users is missing after the restore",
                "table extra appears after the restore but is not in the backup",
            ])
    }
}
