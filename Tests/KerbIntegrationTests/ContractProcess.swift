import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A contract tool (schemathesis, GOV.UK Notify's Python client) run as a subprocess against a
/// server a test started.
enum ContractProcess {
    struct Outcome {
        var status: Int32
        var output: String
        var seconds: Double
    }

    /// Runs `executable` with `arguments` in a scratch folder, with output captured to a file (no
    /// pipe to fill up) and every string in `secrets` blanked in it; stopped after `timeLimit`.
    static func run(_ executable: String, _ arguments: [String], secrets: [String], timeLimit: Duration) async throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputURL = folder.appendingPathComponent("output.txt")
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["COLUMNS"] = "120"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output

        let started = ContinuousClock.now
        let (exits, exit) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = {
            exit.yield($0.terminationStatus); exit.finish()
        }
        try process.run()
        // A watchdog, so a hung run fails the test instead of holding up the whole suite.
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: timeLimit)
            kill(pid, SIGTERM)
        }
        var status: Int32 = -1
        for await value in exits { status = value }
        watchdog.cancel()
        let elapsed = ContinuousClock.now - started
        var text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        for secret in secrets where !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "[secret]") }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Outcome(status: status, output: text, seconds: seconds)
    }
}
