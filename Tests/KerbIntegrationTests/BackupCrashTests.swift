import Backups
import Documents
import Foundation
import KerbTestSupport
import Logging
import Storage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 13's "done when": `kill -9` in the middle of a backup leaves no backup marked complete,
/// and the next run takes one that verifies. The real `kerb` binary, the test cluster, pg_dump.
@Suite struct BackupCrashTests {
    static let logger = Logger(label: "test")

    @Test func aBackupKilledHalfWayIsNeverListedAsCompleteAndTheNextOneVerifies() async throws {
        let binary = try BulkSendCrashTests.kerbBinary()
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withAppDatabase { database in
            try await SyntheticHolders.insert(database, tenant.scope, count: 30_000, logger: Self.logger)
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kerb-backup-crash-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // The child opens the council's key with the same master key as this process.
        let masterFile = work.appendingPathComponent("master.key")
        try Data(TestDatabase.master.fileText.utf8).write(to: masterFile)
        let root = work.appendingPathComponent("backups", isDirectory: true)
        var environment = ProcessInfo.processInfo.environment
        environment["KERB_MASTER_KEY_FILE"] = masterFile.path
        environment["KERB_BACKUP_DIR"] = root.path
        environment["KERB_DOCUMENTS_DIR"] = (TestDatabase.vault.blobs as? FolderBlobStore)?.root.path
        let slug = tenant.slug.rawValue
        let council = root.appendingPathComponent(slug)

        // Killed once the dump has started streaming into its partial folder.
        let first = try BulkSendCrashTests.launch(binary, ["backup", "run", "--tenant", slug], environment)
        let deadline = ContinuousClock.now + .seconds(60)
        var dumping = false
        while !dumping, ContinuousClock.now < deadline, first.isRunning {
            let partials = ((try? FileManager.default.contentsOfDirectory(atPath: council.path)) ?? []).filter { $0.hasPrefix(".partial-") }
            dumping = partials.contains { name in
                let dump = council.appendingPathComponent(name).appendingPathComponent("database.pgdump.kerb").path
                return ((try? FileManager.default.attributesOfItem(atPath: dump))?[.size] as? Int ?? 0) > 0
            }
            if !dumping { try await Task.sleep(for: .milliseconds(5)) }
        }
        try #require(dumping && first.isRunning, "the backup ended before it could be killed")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)

        // Nothing complete: the attempt is recorded as unfinished, no folder is under an id.
        let rows = try await TestDatabase.adminQuery(
            "SELECT (completed_at IS NULL)::text, (manifest_sha256 IS NULL)::text FROM kerb_control.backups WHERE tenant_id = $1::uuid",
            [tenant.id.uuidString])
        #expect(rows == [["true", "true"]])
        let entries = try FileManager.default.contentsOfDirectory(atPath: council.path)
        #expect(entries.allSatisfy { $0.hasPrefix(".partial-") })
        let backups = BackupService(
            lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs,
            tools: PostgresTools(config: TestDatabase.config),
            root: root)
        await #expect(throws: BackupError.notRestorable("\(slug) has no complete backup")) { _ = try await backups.latest(slug) }

        // The next run completes, and its backup verifies.
        let second = try BulkSendCrashTests.launch(binary, ["backup", "run", "--tenant", slug], environment)
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        let latest = try await backups.latest(slug)
        #expect(latest.rows > 90_000)
        let verified = try await backups.verify(latest.id, by: "test")
        #expect(verified.passed, "\(verified.problems)")
    }
}
