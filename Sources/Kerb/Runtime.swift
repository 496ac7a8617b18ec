import Backups
import Documents
import Foundation
import Keys
import Logging
import NIOPosix
import Storage
import Tenancy

/// What the operational subcommands share: configuration from the environment and an admin
/// thread pool that is shut down when the command ends.
struct Runtime {
    let config: DatabaseConfig
    let admin: AdminDatabase
    let threads: NIOThreadPool

    static func with<T>(threads count: Int = 2, _ body: (Runtime) async throws -> T) async throws -> T {
        let config = try DatabaseConfig.fromEnvironment(ProcessInfo.processInfo.environment)
        let threads = NIOThreadPool(numberOfThreads: count)
        threads.start()
        let runtime = Runtime(config: config, admin: AdminDatabase(config: config, threads: threads), threads: threads)
        do {
            let result = try await body(runtime)
            try await threads.shutdownGracefully()
            return result
        } catch {
            try? await threads.shutdownGracefully()
            throw error
        }
    }

    func lifecycle() throws -> TenantLifecycle {
        TenantLifecycle(
            database: admin, catalogue: try AuthorityCatalogue.bundled(), tenantMigrations: try Migration.bundled(.tenant),
            keys: try councilKeys())
    }

    /// The master key and the documents folder (`KERB_MASTER_KEY_FILE`, `KERB_DOCUMENTS_DIR`).
    func vault() throws -> VaultSettings { try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment) }

    /// Backups: the folder (`KERB_BACKUP_DIR`, an absolute path), retention
    /// (`KERB_BACKUP_KEEP_*`) and PostgreSQL's client programs (`KERB_PG_BINDIR`, optional).
    func backups() throws -> BackupService {
        let env = ProcessInfo.processInfo.environment
        guard let folder = env["KERB_BACKUP_DIR"], folder.hasPrefix("/") else {
            throw BackupError.notSet("KERB_BACKUP_DIR must be the absolute path of the backups' folder")
        }
        return BackupService(
            lifecycle: try lifecycle(), blobs: try vault().blobs, tools: PostgresTools.fromEnvironment(config: config, env),
            root: URL(fileURLWithPath: folder, isDirectory: true), retention: try BackupRetention.fromEnvironment(env))
    }

    /// The councils' data keys, under the master key from `KERB_MASTER_KEY_FILE`.
    func councilKeys() throws -> CouncilKeys { CouncilKeys(master: try MasterKey.fromEnvironment(ProcessInfo.processInfo.environment)) }
}
