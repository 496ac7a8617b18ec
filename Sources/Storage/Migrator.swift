import Foundation
import KerbCore
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Applies migrations to the control plane and to every tenant schema.
///
/// Fast when there is nothing to do: one query reads the whole ledger and the tenant list, and
/// pending work is computed in memory, so a no-op across thousands of tenants costs two round
/// trips. Each migration runs as one simple-protocol script (one round trip) inside its own
/// transaction with its ledger row, as the tenant's owner role, so it can only touch that schema,
/// and ends by re-granting the request role (`TenantRoles.grants`). Tenants made before the
/// owner/request split are converted on the way; the same first query finds them.
public struct Migrator: Sendable {
    /// Where a migration applies.
    public enum Schema: Sendable, Hashable {
        case control
        case tenant(TenantScope)

        public var name: String {
            switch self {
            case .control: "kerb_control"
            case .tenant(let scope): scope.schema
            }
        }
    }

    /// The outcome for one schema; a failure is a value so one tenant cannot stop the others.
    public struct Outcome: Sendable {
        public let schema: String
        public let applied: [String]
        public let error: StorageError?
        /// This run gave the tenant its request role (it predated the owner/request split).
        public var rolesSplit = false
    }

    public let database: AdminDatabase
    public let control: [Migration]
    public let tenant: [Migration]

    public init(database: AdminDatabase, control: [Migration], tenant: [Migration]) {
        self.database = database
        self.control = control
        self.tenant = tenant
    }

    public init(database: AdminDatabase) throws {
        self.init(database: database, control: try Migration.bundled(.control), tenant: try Migration.bundled(.tenant))
    }

    /// Brings the control plane up to date. Refuses if an applied control migration was edited.
    public func migrateControl() async throws -> Outcome {
        let control = self.control
        return try await database.session { session in
            let conn = session.connection
            try conn.execute(script: Self.ledgerDDL)
            let applied = try Self.ledger(conn, schema: "kerb_control")
            let pending = try Self.pending(control, applied: applied, schema: "kerb_control")
            for migration in pending {
                try Self.apply(migration, to: .control, on: conn, ownTransaction: true)
            }
            return Outcome(schema: "kerb_control", applied: pending.map(\.version), error: nil)
        }
    }

    /// Brings every given tenant schema up to date with at most `parallelism` at once, reporting
    /// progress as each tenant finishes. Checksums of applied migrations are verified for every
    /// tenant first; any edited migration refuses the whole run before anything is applied.
    public func migrateTenants(
        _ scopes: [TenantScope], parallelism: Int,
        progress: @escaping @Sendable (_ done: Int, _ total: Int, _ outcome: Outcome) -> Void = { _, _, _ in }
    ) async throws -> [Outcome] {
        let tenant = self.tenant
        let appUser = database.config.appUser
        let (work, census): ([(TenantScope, [Migration], split: Bool)], TenantRoles.Census) = try await database.session { session in
            let ledger = try Self.ledgerBySchema(session.connection)
            let census = try TenantRoles.census(session.connection, appUser: appUser)
            let work = try scopes.compactMap { scope -> (TenantScope, [Migration], split: Bool)? in
                let pending = try Self.pending(tenant, applied: ledger[scope.schema] ?? [:], schema: scope.schema)
                let split = !census.isSplit(scope)
                return pending.isEmpty && !split ? nil : (scope, pending, split)
            }
            return (work, census)
        }
        guard !work.isEmpty else { return [] }

        let next = NIOLockedValueBox(0)
        let done = NIOLockedValueBox(0)
        let total = work.count
        let database = self.database
        return try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for _ in 0..<max(1, min(parallelism, work.count)) {
                group.addTask {
                    try await database.session { session in
                        var mine: [Outcome] = []
                        while true {
                            let index = next.withLockedValue { value -> Int in
                                defer { value += 1 }
                                return value
                            }
                            guard index < work.count else { break }
                            let (scope, pending, split) = work[index]
                            var applied: [String] = []
                            var failure: StorageError?
                            if split {
                                do throws(StorageError) {
                                    try Self.split(scope, appUser: appUser, census: census, on: session.connection)
                                } catch {
                                    failure = error
                                }
                            }
                            for migration in pending where failure == nil {
                                do throws(StorageError) {
                                    try Self.apply(migration, to: .tenant(scope), on: session.connection, ownTransaction: true)
                                    applied.append(migration.version)
                                } catch {
                                    failure = error
                                    break
                                }
                            }
                            let outcome = Outcome(
                                schema: scope.schema, applied: applied, error: failure, rolesSplit: split && failure == nil)
                            let count = done.withLockedValue { value -> Int in
                                value += 1
                                return value
                            }
                            progress(count, total, outcome)
                            mine.append(outcome)
                        }
                        return mine
                    }
                }
            }
            var all: [Outcome] = []
            for try await part in group { all += part }
            return all
        }
    }

    // MARK: internals shared with onboarding

    static let ledgerDDL = """
        CREATE SCHEMA IF NOT EXISTS kerb_control;
        CREATE TABLE IF NOT EXISTS kerb_control.schema_migrations (
            schema_name text NOT NULL,
            version     text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (schema_name, version)
        );
        """

    static func ledger(_ conn: PQConnection, schema: String) throws(StorageError) -> [String: String] {
        var result: [String: String] = [:]
        for row in try conn.query(
            "SELECT version, checksum FROM kerb_control.schema_migrations WHERE schema_name = $1", [schema])
        {
            result[row[0]!] = row[1]!
        }
        return result
    }

    static func ledgerBySchema(_ conn: PQConnection) throws(StorageError) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for row in try conn.query("SELECT schema_name, version, checksum FROM kerb_control.schema_migrations") {
            result[row[0]!, default: [:]][row[1]!] = row[2]!
        }
        return result
    }

    /// The migrations not yet applied, after checking that every applied one is unchanged.
    static func pending(_ all: [Migration], applied: [String: String], schema: String) throws(StorageError) -> [Migration] {
        for migration in all {
            if let checksum = applied[migration.version], checksum != migration.checksum {
                throw StorageError.migrationChanged(schema: schema, version: migration.version)
            }
        }
        return all.filter { applied[$0.version] == nil }
    }

    /// Gives a tenant made before the owner/request split its request role, in a transaction of
    /// its own, and takes the web process out of the owner role.
    static func split(_ scope: TenantScope, appUser: String, census: TenantRoles.Census, on conn: PQConnection) throws(StorageError) {
        let script = try TenantRoles.split(scope, appUser: appUser, census: census, on: conn)
        do {
            try conn.execute(script: script)
        } catch {
            try? conn.execute(script: "ROLLBACK")
            throw StorageError.migrationFailed(schema: scope.schema, version: "owner/request role split", message: "\(error)")
        }
    }

    /// Runs one migration and records it. With `ownTransaction` the script carries its own
    /// BEGIN/COMMIT (one round trip); otherwise it joins the caller's transaction. A tenant
    /// migration ends by re-granting the request role unless `regrant` is false (onboarding
    /// applies them all in one transaction and grants once at the end).
    static func apply(
        _ migration: Migration, to schema: Schema, on conn: PQConnection, ownTransaction: Bool, regrant: Bool = true
    ) throws(StorageError) {
        let enter: String
        let grants: String
        switch schema {
        case .control:
            enter = "SELECT set_config('search_path', 'kerb_control', true);"
            grants = ""
        case .tenant(let scope):
            enter = try TenantRoles.enterOwner(scope, on: conn)
            grants = regrant ? TenantRoles.grants(scope) : ""
        }
        let record = """
            SELECT set_config('role', 'none', true), set_config('search_path', 'kerb_control', true);
            INSERT INTO kerb_control.schema_migrations (schema_name, version, checksum)
            VALUES (\(try conn.literal(schema.name)), \(try conn.literal(migration.version)), \(try conn.literal(migration.checksum)));
            """
        let script = [ownTransaction ? "BEGIN;" : "", enter, migration.sql, ";", grants, record, ownTransaction ? "COMMIT;" : ""]
            .joined(separator: "\n")
        do {
            try conn.execute(script: script)
        } catch {
            if ownTransaction { try? conn.execute(script: "ROLLBACK") }
            throw StorageError.migrationFailed(schema: schema.name, version: migration.version, message: "\(error)")
        }
    }
}
