import Documents
import Foundation
import Identity
import KerbCore
import Keys
import Logging
import NIOPosix
import PostgresNIO
import Storage
import Tenancy

/// The real PostgreSQL cluster that `infra/test` starts for the suite. Prepared once per run
/// (control plane migrated, catalogue loaded); every test then makes its own tenants with random
/// slugs, so tests run in parallel without seeing each other.
public enum TestDatabase {
    public static let config: DatabaseConfig = {
        do {
            return try DatabaseConfig.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            fatalError("Run the suite with infra/test, which starts the test PostgreSQL cluster (\(error))")
        }
    }()

    public static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 6)
        pool.start()
        return pool
    }()

    /// Argon2id at 1 MiB, one pass: the same code path as production at a fraction of the cost,
    /// so tests that set many passwords stay quick (the parameters are tested on their own).
    public static let fastHashing = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    public static var admin: AdminDatabase { AdminDatabase(config: config, threads: threads) }

    /// The run's master key: the cluster is new each run, so a random key wraps all its councils'
    /// data keys (production reads `KERB_MASTER_KEY_FILE`).
    public static let master = MasterKey.random()
    public static var councilKeys: CouncilKeys { CouncilKeys(master: master) }

    /// The run's master key and a documents folder of the run's own (removed by infra/test with
    /// the cluster when `KERB_DOCUMENTS_DIR` is set, else under the system's temporary folder).
    public static let vault = VaultSettings(
        master: master,
        blobs: FolderBlobStore(
            root: URL(
                fileURLWithPath: ProcessInfo.processInfo.environment["KERB_DOCUMENTS_DIR"]
                    ?? (NSTemporaryDirectory() + "/kerb-test-documents-\(ProcessInfo.processInfo.processIdentifier)"), isDirectory: true)))

    /// The web process's view of the councils' keys, over `database` (the login role).
    public static func keyRing(_ database: TenantDatabase) -> KeyRing { KeyRing(master: master, database: database) }

    private static let preparation = Task {
        _ = try await Migrator(database: admin).migrateControl()
        let catalogue = try AuthorityCatalogue.bundled()
        try await admin.transaction { session in try catalogue.sync(session) }
        try await SupplierOps.ensure(admin, migrations: try Migration.bundled(.tenant))
        try await admin.transaction { session in try councilKeys.ensure(session, .supplierOps) }
    }

    /// Councils' schemas as the web application reaches them (the `kerb_app` login, a pool of
    /// `connections`), for the length of `body`.
    public static func withAppDatabase<T>(connections: Int = 2, _ body: (TenantDatabase) async throws -> T) async throws -> T {
        let client = PostgresClient(config, login: .app, maxConnections: connections, logger: Logger(label: "test"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(TenantDatabase(client: client))
        }
    }

    /// Waits until the control plane is migrated and the catalogue loaded.
    public static func prepared() async throws -> AdminDatabase {
        try await preparation.value
        return admin
    }

    public static func lifecycle() async throws -> TenantLifecycle {
        TenantLifecycle(
            database: try await prepared(), catalogue: try AuthorityCatalogue.bundled(), tenantMigrations: try Migration.bundled(.tenant),
            keys: councilKeys)
    }

    /// A unique lowercase token for test slugs and names.
    public static func uniqueToken() -> String {
        String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10))
    }

    /// Onboards a new council through the same code as `kerb tenant onboard`, backed by a test
    /// authority added to the catalogue table (real authorities can be onboarded only once).
    public static func onboardTestTenant(nation: Nation = .england, band: Band = .b) async throws -> TenantLifecycle.Onboarded {
        let token = uniqueToken()
        let authority = "test-\(token)"
        let lifecycle = try await lifecycle()
        try await lifecycle.database.transaction { session in
            try session.query(
                "INSERT INTO kerb_control.authorities (slug, name, band, nation) VALUES ($1, $2, $3, $4)",
                [authority, "Test Council \(token)", band.rawValue, nation.rawValue])
        }
        let testCatalogue = try AuthorityCatalogue(
            authoritiesCSV: "slug,name,band,nation\n\(authority),Test Council \(token),\(band.rawValue),\(nation.rawValue)\n",
            bandsCSV: "band,rank,description\n")
        let scoped = lifecycle.with(catalogue: testCatalogue)
        return try await scoped.onboard(
            .init(authority: authority, adminName: "Alex Morgan", adminEmail: "alex.morgan@\(token).test.kerb.example", actor: "test"))
    }

    /// Runs one SQL statement as the superuser-free admin role and returns text rows (assertions).
    public static func adminQuery(_ sql: StaticString, _ parameters: [String?] = []) async throws -> [[String?]] {
        try await prepared().session { session in try session.query(sql, parameters) }
    }

    /// Runs `body` with a tenant database over its own small pool as `kerb_app` (the request
    /// path's login role), running for the duration of `body`.
    public static func withTenantDatabase<T: Sendable>(
        maxConnections: Int = 2, _ body: (TenantDatabase) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(config, login: .app, maxConnections: maxConnections, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(TenantDatabase(client: client))
        }
    }

    static let logger = Logger(label: "test")

    /// Two real users of a council for casework tests: its onboarded admin (Alex Morgan) and a
    /// second person (Jordan Lee), in that order, so one can assess or act and the other decide.
    public static func councilStaff(_ scope: TenantScope) async throws -> (first: UUID, second: UUID) {
        try await prepared().transaction { session in
            try session.enterTenant(scope)
            try session.query("INSERT INTO users (email, full_name, status) VALUES ('jordan.lee@example.gov.uk', 'Jordan Lee', 'active')")
            let ids = try session.query("SELECT id::text FROM users ORDER BY full_name").compactMap {
                $0[0].flatMap(UUID.init(uuidString:))
            }
            try session.leaveTenant()
            return (ids[0], ids[1])
        }
    }
}
