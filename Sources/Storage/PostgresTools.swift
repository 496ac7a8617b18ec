import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// PostgreSQL's own client programs (`pg_dump`, `pg_restore`, `psql`), run as `kerb_admin` with
/// the same server, TLS settings and password as the admin connection. Backups use them rather
/// than copying rows by hand: they know every object of a schema, its dependencies and the
/// order a restore needs (data before constraints and triggers).
///
/// The password goes in a private password file for the child's lifetime, never in its
/// arguments or environment. Bytes flow through pipes: nothing of a council's data is written
/// to disk in the clear.
public struct PostgresTools: Sendable {
    public let config: DatabaseConfig
    /// Where the programs are; nil: the newest `/usr/lib/postgresql/<version>/bin`, then `PATH`.
    public let binDir: String?

    public init(config: DatabaseConfig, binDir: String? = nil) {
        self.config = config
        self.binDir = binDir
    }

    /// The same with `KERB_PG_BINDIR` from the environment, if set.
    public static func fromEnvironment(config: DatabaseConfig, _ env: [String: String]) -> PostgresTools {
        PostgresTools(config: config, binDir: env["KERB_PG_BINDIR"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The path of `name`, one of PostgreSQL's client programs.
    public func program(_ name: String) -> String {
        if let binDir { return binDir + "/" + name }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/\(name)") {
            return "\(root)/\(version)/bin/\(name)"
        }
        return "/usr/bin/" + name
    }

    /// A program run to its end: its standard input fed from `input` (called until it returns
    /// nil), its standard output handed to `output` piece by piece, or piped into `then` (a
    /// second program reading it). Throws `StorageError.toolFailed` with the last lines the
    /// programs wrote to standard error when either exits non-zero.
    public struct Step: Sendable {
        public let name: String
        public let arguments: [String]
        public let database: String

        public init(_ name: String, _ arguments: [String], database: String) {
            self.name = name
            self.arguments = arguments
            self.database = database
        }
    }

    /// Runs `first` reading `input`, writing to `output`; blocking, so call it on a thread pool.
    public func run(_ step: Step, input: (() throws -> Data?)? = nil, output: ((Data) throws -> Void)? = nil) throws {
        try run([step], input: input, output: output)
    }

    /// Runs `steps` as a shell pipeline (`a | b`), the first fed from `input`, the last's output
    /// handed to `output`.
    public func run(_ steps: [Step], input: (() throws -> Data?)? = nil, output: ((Data) throws -> Void)? = nil) throws {
        guard !steps.isEmpty else { return }
        // A child that stops reading must fail the write, not kill this process.
        signal(SIGPIPE, SIG_IGN)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-pgtool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let passfile = scratch.appendingPathComponent("pgpass").path
        guard
            FileManager.default.createFile(
                atPath: passfile, contents: Data(passfileLine(steps.map(\.database)).utf8), attributes: [.posixPermissions: 0o600])
        else { throw StorageError.invalidSetting("cannot write a private password file in \(scratch.path)") }

        var processes: [Process] = []
        var errorFiles: [String] = []
        var previous: Pipe?
        let inputPipe = input == nil ? nil : Pipe()
        let outputPipe = output == nil ? nil : Pipe()
        for (index, step) in steps.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program(step.name))
            process.arguments = step.arguments
            process.environment = environment(database: step.database, passfile: passfile)
            let errorPath = scratch.appendingPathComponent("stderr-\(index)").path
            guard FileManager.default.createFile(atPath: errorPath, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StorageError.invalidSetting("cannot write in \(scratch.path)")
            }
            errorFiles.append(errorPath)
            process.standardError = FileHandle(forWritingAtPath: errorPath)
            if index == 0 {
                process.standardInput = inputPipe ?? FileHandle.nullDevice
            } else {
                process.standardInput = previous
            }
            if index == steps.count - 1 {
                process.standardOutput = outputPipe ?? FileHandle.nullDevice
            } else {
                let pipe = Pipe()
                process.standardOutput = pipe
                previous = pipe
            }
            processes.append(process)
        }
        for process in processes {
            do { try process.run() } catch {
                for started in processes where started.isRunning { started.terminate() }
                throw StorageError.toolFailed(program: process.executableURL?.lastPathComponent ?? "?", status: -1, message: "\(error)")
            }
        }
        // The parent's copies of the pipes between children must close, or a reader never sees
        // the end of its input.
        for process in processes.dropFirst() { try? (process.standardInput as? Pipe)?.fileHandleForReading.close() }
        for process in processes.dropLast() { try? (process.standardOutput as? Pipe)?.fileHandleForWriting.close() }

        var failure: (any Error)?
        if let inputPipe, let input {
            try? inputPipe.fileHandleForReading.close()
            do {
                while let piece = try input() { try inputPipe.fileHandleForWriting.write(contentsOf: piece) }
            } catch { failure = error }
            try? inputPipe.fileHandleForWriting.close()
        }
        if let outputPipe, let output {
            try? outputPipe.fileHandleForWriting.close()
            let reader = outputPipe.fileHandleForReading
            do {
                while let piece = try reader.read(upToCount: 1 << 20), !piece.isEmpty { try output(piece) }
            } catch {
                failure = failure ?? error
                for process in processes where process.isRunning { process.terminate() }
            }
            try? reader.close()
        }
        if failure != nil { for process in processes where process.isRunning { process.terminate() } }
        for process in processes { process.waitUntilExit() }
        // The first program that failed says why; a program killed because its reader stopped
        // (a broken pipe) is not the cause.
        for (index, process) in processes.enumerated() where process.terminationStatus != 0 && failure == nil {
            throw StorageError.toolFailed(
                program: steps[index].name, status: process.terminationStatus, message: Self.lastLines(of: errorFiles[index]))
        }
        if let failure { throw failure }
    }

    /// libpq's settings for a child: the admin login, the server, TLS as configured.
    func environment(database: String, passfile: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && !$0.key.hasPrefix("KERB_DB_") }
        env["PGHOST"] = config.host
        env["PGPORT"] = String(config.port)
        env["PGUSER"] = config.adminUser
        env["PGDATABASE"] = database
        env["PGPASSFILE"] = passfile
        env["PGAPPNAME"] = "kerb-backup"
        env["PGCONNECT_TIMEOUT"] = "10"
        env["PGOPTIONS"] = "-c client_min_messages=warning"
        for (key, value) in config.libpqTLSParameters { env["PG" + key.uppercased()] = value }
        return env
    }

    /// One `.pgpass` line per database: `host:port:database:user:password`, `:` and `\` escaped.
    func passfileLine(_ databases: [String]) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
        }
        return Set(databases).map {
            [config.host, String(config.port), $0, config.adminUser, config.adminPassword].map(escaped).joined(separator: ":")
        }.joined(separator: "\n") + "\n"
    }

    static func lastLines(of path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " / ")
    }
}
