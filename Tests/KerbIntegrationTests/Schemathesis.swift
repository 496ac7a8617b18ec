import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs schemathesis (PyPI) as a subprocess against a server a test started. `infra/test`
/// installs it, at the version pinned there, into a virtualenv under `.kerb/` and names it in
/// `KERB_SCHEMATHESIS`; a plain `swift test` has no schemathesis, and the test says so and fails
/// rather than passing without having checked anything.
enum Schemathesis {
    /// The checks on every answer: no 5xx, a documented status, content type, headers and body.
    static let responseChecks = [
        "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
        "response_schema_conformance",
    ].joined(separator: ",")

    /// Fixed so that a run is repeatable: the same seed generates the same requests.
    static let seed = "20260901"

    /// A run that takes longer than this is stopped and fails (a hung server, not slow generation).
    static let timeLimit: Duration = .seconds(300)

    /// The repository's root, for the contracts kept under `Tests/Contracts/`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The installed executable, or a failed test saying how to get one.
    static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["KERB_SCHEMATHESIS"] ?? ""
        try #require(
            !path.isEmpty,
            "KERB_SCHEMATHESIS is not set: run this test through infra/test (e.g. `infra/test --filter 'Schemathesis|GovUKPayContract'`), which installs schemathesis"
        )
        try #require(FileManager.default.isExecutableFile(atPath: path), "KERB_SCHEMATHESIS=\(path) is not an executable")
        return path
    }

    struct Outcome {
        var status: Int32
        var output: String
        var seconds: Double
    }

    /// Runs `schemathesis run` with `arguments` (after the common ones) in a scratch folder, with
    /// output captured to a file (no pipe to fill up) and every string in `secrets` blanked in it.
    static func run(_ executable: String, _ arguments: [String], secrets: [String]) async throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-schemathesis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputURL = folder.appendingPathComponent("output.txt")
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // 30 s per request: on a loaded 2-core machine a 10 s limit once failed a request that
        // passed on hypothesis's replay, which schemathesis reports as an inconsistent result.
        process.arguments =
            ["run", "--no-color", "--seed", seed, "--generation-database", "none", "--request-timeout", "30", "--checks", responseChecks]
            + arguments
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
