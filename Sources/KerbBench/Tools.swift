import Foundation
import Hummingbird
import NIOPosix
import Storage
import Synchronization

/// The external load generators: `wrk` for HTTP, `pgbench` for PostgreSQL's own baseline.
enum Tools {
    /// How long `body` takes, in seconds.
    static func seconds(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    struct WrkResult {
        let requestsPerSecond: Double
        let p50: Double
        let p99: Double
        let errors: Int
    }

    @discardableResult
    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError.commandFailed("\(path) \(arguments.joined(separator: " ")): \(output)", process.terminationStatus)
        }
        return output
    }

    static func wrk(url: String, seconds: Int, connections: Int, script: String? = nil) async throws -> WrkResult {
        try await startWrk(url: url, seconds: seconds, connections: connections, script: script).finish()
    }

    /// Runs `body`, which waits on a child process, on NIO's thread pool, so the wait holds none
    /// of the threads the in-process server's requests run on.
    static func waiting<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// One wrk connection for `seconds`, returning how many requests it completed (for counting
    /// what PostgreSQL ran per request).
    static func wrkCount(url: String, seconds: Int, script: String) async throws -> (requests: Int, result: WrkResult) {
        let running = try startWrk(url: url, seconds: seconds, connections: 1, script: script)
        let out = try await running.output()
        guard let rps = number(after: "Requests/sec:", in: out),
            let line = out.split(separator: "\n").first(where: { $0.contains(" requests in ") }),
            let requests = Int(line.split(separator: " ").first ?? "")
        else { throw BenchError.unparsable(out) }
        let errors = Int(number(after: "Non-2xx or 3xx responses:", in: out) ?? 0)
        return (requests, WrkResult(requestsPerSecond: rps, p50: latency("50%", out), p99: latency("99%", out), errors: errors))
    }

    /// A wrk run in the background, so two loads can overlap (a sign-in burst and reads).
    // SAFETY: after `startWrk` only `output` touches the process and its pipe, once.
    struct RunningWrk: @unchecked Sendable {
        let process: Process
        let pipe: Pipe

        /// Everything wrk printed, once it has exited.
        func output() async throws -> String {
            try await Tools.waiting {
                let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                return out
            }
        }

        func finish() async throws -> WrkResult {
            let out = try await output()
            guard let rps = number(after: "Requests/sec:", in: out) else { throw BenchError.unparsable(out) }
            let errors = Int(number(after: "Non-2xx or 3xx responses:", in: out) ?? 0)
            return WrkResult(requestsPerSecond: rps, p50: latency("50%", out), p99: latency("99%", out), errors: errors)
        }
    }

    /// `script` is a wrk Lua file (for POSTs with a body and cookie).
    static func startWrk(url: String, seconds: Int, connections: Int, script: String? = nil) throws -> RunningWrk {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency"] + (script.map { ["-s", $0] } ?? []) + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return RunningWrk(process: process, pipe: pipe)
    }

    /// pgbench's `-T` relies on SIGALRM, which a child of this process never receives (the
    /// signal stays blocked across spawn), so the run is sized by transactions instead: a short
    /// calibration run estimates the rate, then each client runs `rate × seconds / clients`.
    static func pgbench(database: String, config: DatabaseConfig, seconds: Int, connections: Int) async throws -> Double {
        try await waiting {
            let estimate = try pgbenchRun(database: database, config: config, transactionsPerClient: 300, connections: connections)
            let perClient = max(300, Int(estimate * Double(seconds) / Double(connections)))
            return try pgbenchRun(database: database, config: config, transactionsPerClient: perClient, connections: connections)
        }
    }

    private static func pgbenchRun(database: String, config: DatabaseConfig, transactionsPerClient: Int, connections: Int) throws -> Double
    {
        let out = try run(
            try pgBindir() + "/pgbench",
            [
                "-n", "-S", "-M", "prepared", "-c", "\(connections)", "-j", "1", "-t", "\(transactionsPerClient)",
                "-h", config.host, "-p", "\(config.port)", "-U", "kerb_pgbench", database,
            ],
            environment: ["PGPASSWORD": ProcessInfo.processInfo.environment["KERB_BENCH_PGBENCH_PASSWORD"] ?? ""])
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("tps =") }),
            let tps = Double(line.split(separator: " ")[2])
        else { throw BenchError.unparsable(out) }
        return tps
    }

    /// Polls until the in-process server answers `healthURL` (up to 10 s).
    /// Runs the in-process server `app` while `body` runs, then cancels it and waits at most
    /// ten seconds for it to stop. Waiting for it inside a task group hung the whole bench after
    /// the reads part (the server did not wind down on cancellation with wrk's connections just
    /// closed), so a part that follows would never start; a server that lingers now only keeps
    /// its port until the bench exits.
    static func serving<T: Sendable>(_ app: some ApplicationProtocol & Sendable, _ body: () async throws -> T) async throws -> T {
        let stopped = Mutex(false)
        let server = Task {
            try? await app.run()
            stopped.withLock { $0 = true }
        }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        server.cancel()
        for _ in 0..<100 where !stopped.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(100)) }
        return try result.get()
    }

    static func waitUntilServing(_ healthURL: String) async throws {
        for _ in 0..<100 {
            if (try? run("/usr/bin/curl", ["-sf", "-o", "/dev/null", healthURL])) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError.commandFailed("server did not start", 1)
    }

    static func pgBindir() throws -> String {
        let versions = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").compactMap(Int.init).sorted()
        guard let newest = versions.last else { throw BenchError.unparsable("no /usr/lib/postgresql") }
        return "/usr/lib/postgresql/\(newest)/bin"
    }

    fileprivate static func number(after label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        return Double(text[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\n" }).first ?? "")
    }

    /// wrk prints latency percentiles as `99%  1.23ms` (or us / s).
    fileprivate static func latency(_ label: String, _ text: String) -> Double {
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else {
            return .nan
        }
        let value = String(line.split(separator: " ", omittingEmptySubsequences: true).last ?? "")
        let digits = Double(value.prefix { $0.isNumber || $0 == "." }) ?? .nan
        if value.hasSuffix("us") { return digits / 1000 }
        if value.hasSuffix("ms") { return digits }
        if value.hasSuffix("s") { return digits * 1000 }
        return digits
    }
}
