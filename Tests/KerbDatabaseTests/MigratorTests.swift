import Foundation
import KerbTestSupport
import Storage
import Synchronization
import Tenancy
import Testing

@Suite struct MigratorTests {
    @Test func aFailingTenantIsReportedAndLeftWhollyUnmigratedWhileOthersProceed() async throws {
        let good = try await TestDatabase.onboardTestTenant().tenant
        let bad = try await TestDatabase.onboardTestTenant().tenant
        let other = try await TestDatabase.onboardTestTenant().tenant
        let version = "9001_add_probe_\(TestDatabase.uniqueToken())"
        // Creates a table, then fails for `bad` only: the table must not survive there.
        let probe = Migration(
            target: .tenant, version: version,
            sql: """
                CREATE TABLE probe (id int PRIMARY KEY);
                DO $$ BEGIN
                    IF current_schema() = '\(bad.scope.schema)' THEN RAISE EXCEPTION 'deliberate failure'; END IF;
                END $$;
                """)
        let migrator = Migrator(database: try await TestDatabase.prepared(), control: [], tenant: try Migration.bundled(.tenant) + [probe])
        let progress = ProgressLog()
        let outcomes = try await migrator.migrateTenants([good.scope, bad.scope, other.scope], parallelism: 2) { done, total, _ in
            progress.record(done, total)
        }
        #expect(outcomes.count == 3)
        let bySchema = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.schema, $0) })
        #expect(bySchema[good.scope.schema]?.applied == [version] && bySchema[good.scope.schema]?.error == nil)
        #expect(bySchema[other.scope.schema]?.applied == [version])
        #expect(bySchema[bad.scope.schema]?.applied == [] && bySchema[bad.scope.schema]?.error != nil)
        #expect(progress.lines.sorted() == ["1/3", "2/3", "3/3"])

        let tables = try await TestDatabase.adminQuery(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'probe' AND schemaname = ANY($1::text[]) ORDER BY 1",
            ["{\(good.scope.schema),\(bad.scope.schema),\(other.scope.schema)}"])
        #expect(Set(tables.map { $0[0]! }) == [good.scope.schema, other.scope.schema])
        let ledger = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM kerb_control.schema_migrations WHERE schema_name = $1 AND version = $2", [bad.scope.schema, version])
        #expect(ledger[0][0] == "0")

        // Nothing left to do: a second run touches nobody.
        let fixed = Migrator(database: migrator.database, control: [], tenant: try Migration.bundled(.tenant) + [probe])
        let again = try await fixed.migrateTenants([good.scope, other.scope], parallelism: 2)
        #expect(again.isEmpty)
    }

    @Test func anEditedAppliedMigrationIsRefusedBeforeAnythingRuns() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        var bundled = try Migration.bundled(.tenant)
        let first = bundled[0]
        bundled[0] = Migration(target: .tenant, version: first.version, sql: first.sql + "\n-- edited after merge\n")
        let migrator = Migrator(database: try await TestDatabase.prepared(), control: [], tenant: bundled)
        await #expect(throws: StorageError.migrationChanged(schema: tenant.scope.schema, version: first.version)) {
            _ = try await migrator.migrateTenants([tenant.scope], parallelism: 1)
        }
    }

    @Test func migrationFilesMustBeNamedInOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-mig-\(TestDatabase.uniqueToken())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "SELECT 1;".write(to: folder.appendingPathComponent("0002_b.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: folder.appendingPathComponent("0001_a.sql"), atomically: true, encoding: .utf8)
        #expect(try Migration.load(from: folder, target: .tenant).map(\.version) == ["0001_a", "0002_b"])
        try "SELECT 1;".write(to: folder.appendingPathComponent("latest.sql"), atomically: true, encoding: .utf8)
        #expect(throws: StorageError.self) { try Migration.load(from: folder, target: .tenant) }
    }

    @Test func checksumsAreStableSHA256() {
        let m = Migration(target: .control, version: "0001_x", sql: "abc")
        #expect(m.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// Collects progress callbacks from the migrator's worker threads.
final class ProgressLog: Sendable {
    private let storage = Mutex<[String]>([])
    func record(_ done: Int, _ total: Int) { storage.withLock { $0.append("\(done)/\(total)") } }
    var lines: [String] { storage.withLock { $0 } }
}
