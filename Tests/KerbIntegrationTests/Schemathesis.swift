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

    typealias Outcome = ContractProcess.Outcome

    /// Runs `schemathesis run` with `arguments` (after the common ones).
    static func run(_ executable: String, _ arguments: [String], secrets: [String]) async throws -> Outcome {
        // 30 s per request: on a loaded 2-core machine a 10 s limit once failed a request that
        // passed on hypothesis's replay, which schemathesis reports as an inconsistent result.
        try await ContractProcess.run(
            executable,
            ["run", "--no-color", "--seed", seed, "--generation-database", "none", "--request-timeout", "30", "--checks", responseChecks]
                + arguments, secrets: secrets, timeLimit: timeLimit)
    }
}
