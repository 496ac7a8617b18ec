import Audit
import Backups
import Crypto
import Documents
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import Storage
import Tenancy
import Testing

/// Issue 13: per-council backups proved by restoring them, against the test cluster with
/// PostgreSQL's own pg_dump and pg_restore.
@Suite struct BackupTests {
    static let logger = Logger(label: "test")

    /// A backup service writing into a folder of its own.
    static func service() async throws -> (BackupService, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-backups-\(UUID().uuidString)", isDirectory: true)
        let lifecycle = try await TestDatabase.lifecycle()
        return (
            BackupService(
                lifecycle: lifecycle, blobs: TestDatabase.vault.blobs, tools: PostgresTools(config: TestDatabase.config), root: root), root
        )
    }

    /// A council with `holders` badge holders and `documents` stored documents.
    static func council(holders: Int = 40, documents: Int = 2) async throws -> Tenant {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withAppDatabase { database in
            try await SyntheticHolders.insert(database, tenant.scope, count: holders, logger: logger)
        }
        try await SyntheticDocuments.insert(
            try await TestDatabase.prepared(), tenant.scope, keys: TestDatabase.councilKeys, store: TestDatabase.vault.blobs,
            count: documents,
            bytes: 70_000)
        return tenant
    }

    /// The council's tables as a backup counts and checksums them, now.
    static func checksums(_ scope: TenantScope) async throws -> [TableChecksum] {
        try await TestDatabase.prepared().transaction { session in
            try session.readOnlySnapshot()
            return try session.tableChecksums(scope)
        }
    }

    @Test func aBackupRestoresIntoScratchAndMatchesAndTheEvidenceIsKept() async throws {
        let (backups, root) = try await Self.service()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try await Self.council()
        let other = try await TestDatabase.onboardTestTenant().tenant

        let record = try await backups.take(tenant.slug.rawValue, by: "test")
        #expect(record.completedAt != nil && record.documents == 2 && record.rows > 120)
        // Encrypted at rest: the dump does not carry the council's data in the clear.
        let dump = try Data(contentsOf: URL(fileURLWithPath: record.folder).appendingPathComponent("database.pgdump.kerb"))
        #expect(dump.range(of: Data("Holder 1 Example".utf8)) == nil && dump.range(of: Data("PGDMP".utf8)) == nil)

        let result = try await backups.verify(record.id, by: "test")
        #expect(result.passed, "\(result.problems)")
        #expect(result.documents == 2 && result.rows == record.rows && result.tables > 10)
        // The evidence: the control plane, and the council's own audit trail.
        #expect(
            try await TestDatabase.adminQuery(
                "SELECT passed::text, documents::text FROM kerb_control.backup_verifications WHERE backup_id = $1::uuid",
                [record.id.uuidString]) == [["true", "2"]])
        let audited = try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(tenant.scope)
            return try session.query("SELECT action FROM audit_events WHERE action LIKE 'backup.%' ORDER BY seq").compactMap { $0[0] }
        }
        #expect(audited == ["backup.taken", "backup.verified"])
        // A council's request role sees its own backups in kerb_council, and never another's.
        for (scope, expected) in [(tenant.scope, "1"), (other.scope, "0")] {
            let seen = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(scope)
                return try session.query("SELECT count(*)::text FROM kerb_council.backups")
            }
            #expect(seen == [[expected]])
        }
    }

    @Test func retentionPrunesTheSameDaysOlderBackupsButNeverTheNewestProvedOne() async throws {
        let (backups, root) = try await Self.service()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try await Self.council(holders: 5, documents: 0)
        let slug = tenant.slug.rawValue
        let first = try await backups.take(slug, by: "test")
        #expect(try await backups.verify(first.id, by: "test").passed)
        // A second backup the same day: the first is no longer the day's newest, but it is the
        // newest one proved by a restore, so it stays until the second is proved.
        let second = try await backups.take(slug, by: "test")
        #expect(FileManager.default.fileExists(atPath: first.folder) && FileManager.default.fileExists(atPath: second.folder))
        #expect(try await backups.verify(second.id, by: "test").passed)
        let third = try await backups.take(slug, by: "test")
        let pruned = try await backups.record(first.id).pruned
        #expect(!FileManager.default.fileExists(atPath: first.folder) && pruned)
        #expect(FileManager.default.fileExists(atPath: second.folder) && FileManager.default.fileExists(atPath: third.folder))
        // A pruned backup can be neither verified nor restored.
        await #expect(throws: BackupError.notRestorable("backup \(first.id.uuidString.lowercased()) is pruned")) {
            _ = try await backups.verify(first.id, by: "test")
        }
    }

    @Test func flippedBytesATruncatedDumpAMissingDocumentAndAnAlteredManifestEachFailWithTheirReason() async throws {
        let (backups, root) = try await Self.service()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try await Self.council(holders: 10, documents: 1)
        let slug = tenant.slug.rawValue

        // Flipped bytes in the middle of the dump.
        let flipped = try await backups.take(slug, by: "test")
        let flippedDump = URL(fileURLWithPath: flipped.folder).appendingPathComponent("database.pgdump.kerb")
        var bytes = try Data(contentsOf: flippedDump)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: flippedDump)
        let first = try await backups.verify(flipped.id, by: "test")
        #expect(!first.passed)
        #expect(first.problems == ["database.pgdump.kerb has changed since the backup was taken (SHA-256 differs)"])

        // A dump cut short.
        let cut = try await backups.take(slug, by: "test")
        let cutDump = URL(fileURLWithPath: cut.folder).appendingPathComponent("database.pgdump.kerb")
        let whole = try Data(contentsOf: cutDump)
        try whole.prefix(whole.count - 100).write(to: cutDump)
        let second = try await backups.verify(cut.id, by: "test")
        #expect(second.problems == ["database.pgdump.kerb is cut short (\(whole.count - 100) of \(whole.count) bytes)"])

        // A document's file gone.
        let missing = try await backups.take(slug, by: "test")
        let documents = URL(fileURLWithPath: missing.folder).appendingPathComponent("documents/\(tenant.scope.schema)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: documents.path).first)
        try FileManager.default.removeItem(at: documents.appendingPathComponent(name))
        let third = try await backups.verify(missing.id, by: "test")
        #expect(third.problems == ["document \(name) is missing"])

        // A manifest changed after the backup was taken (to hide a change to the dump).
        let altered = try await backups.take(slug, by: "test")
        let manifestURL = URL(fileURLWithPath: altered.folder).appendingPathComponent("manifest.json")
        let text = try String(contentsOf: manifestURL, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"takenBy\" : \"test\"", with: "\"takenBy\" : \"someone\"").utf8).write(to: manifestURL)
        let fourth = try await backups.verify(altered.id, by: "test")
        #expect(fourth.problems == ["manifest.json is not the one recorded when the backup was taken"])

        // Each failure is evidence too.
        #expect(
            try await TestDatabase.adminQuery(
                "SELECT count(*)::text FROM kerb_control.backup_verifications WHERE tenant_id = $1::uuid AND NOT passed",
                [tenant.id.uuidString]) == [["4"]])
        // The last untouched backup still verifies.
        let good = try await backups.take(slug, by: "test")
        #expect(try await backups.verify(good.id, by: "test").passed)
    }

    @Test func restoringOneCouncilBringsItBackAndLeavesAnotherUntouched() async throws {
        let (backups, root) = try await Self.service()
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try await Self.council(holders: 30, documents: 1)
        let b = try await Self.council(holders: 20, documents: 1)
        let backup = try await backups.take(a.slug.rawValue, by: "test")
        let manifest = try JSONDecoder().decode(
            BackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: backup.folder).appendingPathComponent("manifest.json")))

        // Council A loses rows after its backup (and its document's file).
        try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(a.scope)
            try session.query("DELETE FROM badges WHERE badge_number IN (SELECT badge_number FROM badges ORDER BY badge_number LIMIT 10)")
            try session.leaveTenant()
        }
        let documentID = try #require(manifest.documents.first?.id)
        try await TestDatabase.vault.blobs.delete(a.scope.schema, documentID)

        // B's backup into A is refused, and changes nothing.
        let bBackup = try await backups.take(b.slug.rawValue, by: "test")
        let bBefore = try await Self.checksums(b.scope)
        await #expect(throws: BackupError.otherCouncil(backup: bBackup.id.uuidString.lowercased(), council: a.slug.rawValue)) {
            _ = try await backups.restore(a.slug.rawValue, backup: bBackup.id, by: "test")
        }

        let restored = try await backups.restore(a.slug.rawValue, backup: backup.id, by: "test")
        #expect(restored.keptSchema.hasPrefix(a.scope.schema + "_before_"))
        // A's tables are as in its backup, except the audit trail, which now ends with the restore.
        let aAfter = try await Self.checksums(a.scope)
        #expect(manifest.mismatches(restored: aAfter).filter { !$0.contains("audit_events") } == [])
        #expect(aAfter.first { $0.name == "badges" }?.rows == 30)
        // B is exactly as it was.
        #expect(try await Self.checksums(b.scope) == bBefore)
        // The document's file is back, and the council is active again.
        let reader = try await TestDatabase.vault.blobs.read(a.scope.schema, documentID)
        await reader.close()
        #expect(try await TestDatabase.lifecycle().show(a.slug.rawValue).tenant.status == .active)
        // The restored trail verifies against its new anchor and records the restore.
        let check = try await TestDatabase.prepared().session { session in try AuditAnchors.verify(session, a.scope) }
        #expect(check.anchor?.rowCount == check.rows)
        let last = try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(a.scope)
            return try session.query("SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1")
        }
        #expect(last == [["backup.restored"]])

        // The old schema is kept until confirmed, then dropped.
        #expect(
            try await TestDatabase.adminQuery("SELECT count(*)::text FROM pg_namespace WHERE nspname = $1", [restored.keptSchema]) == [
                ["1"]
            ])
        #expect(try await backups.confirmRestore(a.slug.rawValue, by: "test") == [restored.keptSchema])
        #expect(
            try await TestDatabase.adminQuery("SELECT count(*)::text FROM pg_namespace WHERE nspname = $1", [restored.keptSchema]) == [
                ["0"]
            ])
        await #expect(throws: BackupError.nothingToConfirm(a.slug.rawValue)) {
            _ = try await backups.confirmRestore(a.slug.rawValue, by: "test")
        }
    }

    @Test func aRestoreThatDoesNotMatchItsManifestChangesNothing() async throws {
        let (backups, root) = try await Self.service()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try await Self.council(holders: 10, documents: 0)
        let backup = try await backups.take(tenant.slug.rawValue, by: "test")
        let before = try await Self.checksums(tenant.scope)
        // A manifest that claims another row count, re-recorded as if Kerb had written it.
        let manifestURL = URL(fileURLWithPath: backup.folder).appendingPathComponent("manifest.json")
        var manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(contentsOf: manifestURL))
        let index = try #require(manifest.tables.firstIndex { $0.name == "badges" })
        manifest.tables[index].rows += 1
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(manifest)
        try data.write(to: manifestURL)
        _ = try await TestDatabase.adminQuery(
            "UPDATE kerb_control.backups SET manifest_sha256 = $2 WHERE id = $1::uuid",
            [backup.id.uuidString, Hex.encode(SHA256.hash(data: data))])

        await #expect(
            throws: BackupError.restoreRefused("table badges does not match the backup after the restore (10 rows, 11 in the backup)")
        ) {
            _ = try await backups.restore(tenant.slug.rawValue, backup: backup.id, by: "test")
        }
        #expect(try await Self.checksums(tenant.scope) == before)
        #expect(try await TestDatabase.lifecycle().show(tenant.slug.rawValue).tenant.status == .active)
        #expect(
            try await TestDatabase.adminQuery(
                "SELECT count(*)::text FROM pg_namespace WHERE nspname LIKE $1", [tenant.scope.schema + "\\_before\\_%"]) == [["0"]])
    }
}

/// The daily schedule (issue 13, item 5): each council at its own minute, once a day, however
/// many schedulers run; a scheduler that died is taken over after two hours.
@Suite struct BackupScheduleTests {
    static let logger = Logger(label: "test")

    @Test func eachCouncilIsBackedUpAndVerifiedOnceADayAtItsOwnMinute() async throws {
        let (backups, root) = try await BackupTests.service()
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try await BackupTests.council(holders: 5, documents: 0)
        let b = try await BackupTests.council(holders: 5, documents: 0)
        // Minutes are spread over the day and fixed per council.
        let minutes = (0..<500).map { _ in BackupSchedule.minute(of: UUID()) }
        #expect(minutes.allSatisfy { (0..<1_440).contains($0) } && Set(minutes).count > 300)
        #expect(BackupSchedule.minute(of: a.id) == BackupSchedule.minute(of: a.id))
        // Nothing is due before a council's minute; everything by the end of the day.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let midnight = calendar.startOfDay(for: Date())
        let early = min(BackupSchedule.minute(of: a.id), BackupSchedule.minute(of: b.id))
        let justBefore = midnight.addingTimeInterval(Double(early) * 60 - 30)
        #expect(BackupSchedule.due([a, b], at: justBefore).isEmpty || early == 0)
        let endOfDay = midnight.addingTimeInterval(1_439 * 60 + 30)

        let first = BackupSchedule(backups: backups, name: "schedule:one")
        let second = BackupSchedule(backups: backups, name: "schedule:two")
        async let one = first.pass(now: endOfDay, only: [a, b], logger: Self.logger)
        async let two = second.pass(now: endOfDay, only: [a, b], logger: Self.logger)
        let done = try await one + two
        // Each council exactly once between the two schedulers, backed up and verified.
        #expect(done.map(\.council).sorted() == [a.slug.rawValue, b.slug.rawValue].sorted())
        #expect(done.filter { !$0.passed }.isEmpty)
        for council in [a, b] {
            let rows = try await TestDatabase.adminQuery(
                """
                SELECT count(*)::text, (SELECT count(*) FROM kerb_control.backup_verifications v WHERE v.tenant_id = $1::uuid AND v.passed)::text
                FROM kerb_control.backups WHERE tenant_id = $1::uuid AND completed_at IS NOT NULL
                """, [council.id.uuidString])
            #expect(rows == [["1", "1"]])
        }
        // Later the same day: nothing more to do.
        #expect(try await first.pass(now: endOfDay, only: [a, b], logger: Self.logger).isEmpty)
        // A claim left unfinished for over two hours (its scheduler died) is taken over.
        _ = try await TestDatabase.adminQuery(
            "UPDATE kerb_control.backup_schedule SET done_at = NULL, claimed_at = now() - interval '3 hours' WHERE tenant_id = $1::uuid",
            [a.id.uuidString])
        #expect(try await second.pass(now: endOfDay, only: [a, b], logger: Self.logger).map(\.council) == [a.slug.rawValue])
    }
}
