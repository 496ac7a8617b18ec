import Audit
import Foundation
import KerbCore
import NIOPosix
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Whole-service recovery with pgBackRest (issue 13, item 4): the cluster's WAL is archived
/// continuously into a repository and full or differential backups are taken into it
/// (`infra/lib/pgbackrest.sh` sets this up). `verify` proves the repository can bring the
/// service back to a point in time: it restores into a scratch cluster on another port,
/// replays WAL to the target, starts it, and checks every council there: its tables counted and
/// checksummed, its audit trail intact and anchored, and that trail a true earlier state of
/// the live one (the recovered head's hash is the live trail's at the same position).
public struct ClusterRecovery: Sendable {
    public struct Settings: Sendable {
        /// pgBackRest's configuration file and stanza.
        public var config: String
        public var stanza: String
        /// The OS user PostgreSQL runs as: pgBackRest and the scratch cluster run as it.
        public var osUser: String?
        /// Where scratch clusters are made (the OS user must be able to write it).
        public var scratchRoot: String
        public var binDir: String?

        public init(config: String, stanza: String = "kerb", osUser: String? = nil, scratchRoot: String, binDir: String? = nil) {
            self.config = config
            self.stanza = stanza
            self.osUser = osUser
            self.scratchRoot = scratchRoot
            self.binDir = binDir
        }

        /// `KERB_PGBACKREST_CONFIG`, `KERB_PGBACKREST_STANZA` (default kerb), `KERB_PG_OS_USER`
        /// (default: `postgres` when run as root), `KERB_PG_BINDIR`; scratch clusters under
        /// `KERB_BACKUP_DIR`.
        public static func fromEnvironment(_ env: [String: String]) throws(BackupError) -> Settings {
            guard let config = env["KERB_PGBACKREST_CONFIG"], config.hasPrefix("/") else {
                throw .notSet(
                    "KERB_PGBACKREST_CONFIG must be the absolute path of pgBackRest's configuration (see infra/lib/pgbackrest.sh)")
            }
            guard let root = env["KERB_BACKUP_DIR"], root.hasPrefix("/") else {
                throw .notSet("KERB_BACKUP_DIR must be the absolute path of the backups' folder")
            }
            let user = env["KERB_PG_OS_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? (getuid() == 0 ? "postgres" : nil)
            return Settings(
                config: config, stanza: env["KERB_PGBACKREST_STANZA"].flatMap { $0.isEmpty ? nil : $0 } ?? "kerb", osUser: user,
                scratchRoot: root, binDir: env["KERB_PG_BINDIR"].flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// One council as found in the recovered cluster.
    public struct Council: Sendable, Equatable {
        public let slug: String
        public let tables: [TableChecksum]
        public let auditRows: Int64
        /// Empty when the trail verified and is a prefix of the live one.
        public let problems: [String]
    }

    public struct Report: Sendable {
        public let target: String
        public let restoreSeconds: Double
        public let councils: [Council]
        public var passed: Bool { councils.allSatisfy { $0.problems.isEmpty } }
    }

    public let settings: Settings
    /// The live cluster (for the live trails the recovered ones are compared with).
    public let live: AdminDatabase

    public init(settings: Settings, live: AdminDatabase) {
        self.settings = settings
        self.live = live
    }

    /// A backup of the whole cluster into the repository; returns pgBackRest's output.
    public func backup(type: String) async throws -> String {
        guard ["full", "diff", "incr"].contains(type) else { throw BackupError.notSet("--type must be full, diff or incr") }
        return try await live.blocking {
            try run("pgbackrest", ["--config=\(settings.config)", "--stanza=\(settings.stanza)", "--type=\(type)", "backup"])
        }
    }

    /// Restores the repository as it was at `target` (a timestamp with its offset; nil: the end
    /// of the archive) into a scratch cluster listening on `port`, checks every council there,
    /// and removes the scratch cluster.
    public func verify(target: String?, port: Int) async throws -> Report {
        let folder = settings.scratchRoot + "/.cluster-verify-" + UUID().uuidString.lowercased().prefix(8)
        let started = ContinuousClock.now
        do {
            try await live.blocking { try restore(into: folder, target: target, port: port) }
            let restoreSeconds = (ContinuousClock.now - started) / .seconds(1)
            let scratch = AdminDatabase(
                config: DatabaseConfig(
                    host: folder + "/run", port: port, database: live.config.database, adminUser: live.config.adminUser,
                    adminPassword: "socket-trust", appPassword: "", tlsMode: .disable),
                threads: NIOThreadPool.singleton)
            let councils = try await check(scratch)
            try? await live.blocking { try stop(folder) }
            return Report(target: target ?? "the end of the archive", restoreSeconds: restoreSeconds, councils: councils)
        } catch {
            try? await live.blocking { try stop(folder) }
            throw error
        }
    }

    /// Every council the recovered control plane lists, checked there and against the live trail.
    func check(_ scratch: AdminDatabase) async throws -> [Council] {
        let slugs = try await scratch.session { session in
            try session.query("SELECT slug FROM kerb_control.tenants WHERE status <> 'offboarded' ORDER BY slug").compactMap { $0[0] }
        }
        var councils: [Council] = []
        for slug in slugs {
            guard let parsed = Slug(slug) else { continue }
            let scope = TenantScope(parsed)
            let found = try await scratch.session { session -> ([TableChecksum], Int64, String?, [String]) in
                var problems: [String] = []
                try session.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
                let tables = try session.tableChecksums(scope)
                try session.query("COMMIT")
                var rows: Int64 = 0
                var head: String?
                do {
                    let check = try AuditAnchors.verify(session, scope)
                    rows = check.rows
                    head = check.headHash
                } catch let error as AuditTrailError {
                    problems.append(error.publicDetail)
                }
                return (tables, rows, head, problems)
            }
            var problems = found.3
            if found.1 > 0, let head = found.2 {
                let liveHash = try await live.transaction { session in
                    try session.enterTenant(scope)
                    return try session.query("SELECT encode(hash, 'hex') FROM audit_events WHERE seq = $1::bigint", [String(found.1)])
                        .first?[0]
                        ?? nil
                }
                if liveHash != head {
                    problems.append(
                        "the recovered audit trail's entry \(found.1) is not the live trail's: not an earlier state of this council")
                }
            }
            councils.append(Council(slug: slug, tables: found.0, auditRows: found.1, problems: problems))
        }
        return councils
    }

    /// `pgbackrest restore` into `folder/data`, then the scratch's own port and socket, no TCP,
    /// no archiving (it must never push into the repository), started and waited for until
    /// recovery has finished.
    func restore(into folder: String, target: String?, port: Int) throws {
        try run("mkdir", ["-p", folder + "/data", folder + "/run"])
        try run("chmod", ["700", folder, folder + "/data", folder + "/run"])
        var arguments = [
            "--config=\(settings.config)", "--stanza=\(settings.stanza)", "restore", "--pg1-path=\(folder)/data", "--archive-mode=off",
        ]
        if let target {
            arguments += ["--type=time", "--target=\(target)", "--target-action=promote", "--target-timeline=current"]
        }
        try run("pgbackrest", arguments)
        let overrides = [
            "# A scratch cluster restored by kerb backup cluster-verify, removed when it is done.",
            "listen_addresses = ''", "port = \(port)", "unix_socket_directories = '\(folder)/run'", "ssl = off", "archive_mode = off",
            "archive_command = ''",
        ]
        try append(overrides.joined(separator: "\n") + "\n", to: folder + "/data/kerb.conf")
        try write("local all all trust\n", to: folder + "/data/pg_hba.conf")
        // The server it starts would hold a pipe open for ever: its output goes to its log instead.
        try run(program("pg_ctl"), ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "120", "start"], detached: true)
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let answer =
                (try? run(
                    program("psql"),
                    [
                        "-X", "-At", "-h", folder + "/run", "-p", String(port), "-U", live.config.adminUser, "-d", "postgres", "-c",
                        "SELECT pg_is_in_recovery()",
                    ]))
            if answer?.trimmingCharacters(in: .whitespacesAndNewlines) == "f" { return }
            usleep(100_000)
        }
        throw BackupError.notSet("the restored cluster did not finish recovery within 120 s (log: \(folder)/server.log)")
    }

    /// Runs a program that leaves a daemon behind (`pg_ctl start`) with `posix_spawn` and
    /// `waitpid`: Foundation's `Process` watches a socket its child inherits, and the daemon
    /// would hold that socket, so the wait would never end. Standard streams go to /dev/null.
    static func spawnAndWait(_ path: String, _ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw StorageError.toolFailed(program: path, status: spawned, message: "could not start it") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw StorageError.toolFailed(program: path, status: errno, message: "lost track of it") }
        }
        // Exited normally: the exit status; killed: 128 plus the signal, as a shell reports it.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    func stop(_ folder: String) throws {
        _ = try? run(program("pg_ctl"), ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        try FileManager.default.removeItem(atPath: folder)
    }

    func program(_ name: String) -> String {
        PostgresTools(config: live.config, binDir: settings.binDir).program(name)
    }

    func append(_ text: String, to path: String) throws {
        try run("sh", ["-c", "cat >> \"$0\"", path], input: text)
    }

    func write(_ text: String, to path: String) throws {
        try run("sh", ["-c", "cat > \"$0\"", path], input: text)
    }

    /// Runs a program as PostgreSQL's OS user (through `runuser` when we are root), returning its
    /// standard output; a non-zero exit throws with the end of what it wrote.
    @discardableResult
    func run(_ name: String, _ arguments: [String], input: String? = nil, detached: Bool = false) throws -> String {
        let process = Process()
        if let user = settings.osUser, getuid() == 0, user != "root" {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", name] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [name] + arguments
        }
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = detached ? FileHandle.nullDevice : output
        process.standardError = detached ? FileHandle.nullDevice : errors
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        if detached {
            let status = try Self.spawnAndWait(process.executableURL?.path ?? name, process.arguments ?? [])
            guard status == 0 else {
                throw StorageError.toolFailed(program: (name as NSString).lastPathComponent, status: status, message: "see its log")
            }
            return ""
        }
        try process.run()
        if let input {
            try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: err, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " / ")
            throw StorageError.toolFailed(
                program: (name as NSString).lastPathComponent, status: process.terminationStatus, message: message)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
