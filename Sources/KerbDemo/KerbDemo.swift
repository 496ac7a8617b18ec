import ArgumentParser
import ContractFakes
import Crypto
import Foundation
import Logging
import NationalBlueBadge

#if canImport(Glibc)
    import Glibc
#endif

/// `kerb-demo`: what a demo or an offline run needs and production does not ship. The `kerb`
/// binary has no fakes in it; `kerb-demo fakes` runs the GOV.UK Pay and national Blue Badge
/// service contract fakes as a process of their own, and `kerb serve` reaches them through its
/// ordinary settings (`KERB_GOVUK_PAY_URL`, `KERB_NATIONAL_BB_URL`, per-council credentials under
/// `KERB_SECRETS_DIR`), exactly as it reaches the real services. `infra/run` starts both.
@main
struct KerbDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kerb-demo",
        abstract: "Demo and offline helpers production does not ship: the GOV.UK Pay and national Blue Badge service fakes.",
        subcommands: [Fakes.self])
}

/// `kerb-demo fakes`: both contract fakes on local ports, with credentials for each demo council
/// and two online applications waiting for each, until SIGINT or SIGTERM.
struct Fakes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the GOV.UK Pay, GOV.UK Notify and national Blue Badge service fakes for the demo councils until interrupted.")

    @Option(help: "Address the fakes listen on.") var host = "127.0.0.1"
    @Option(help: "Port of the national Blue Badge service fake (0: any free port).") var nationalPort = 0
    @Option(help: "Port of the GOV.UK Pay fake (0: any free port).") var payPort = 0
    @Option(help: "Port of the GOV.UK Notify fake (0: any free port).") var notifyPort = 0
    @Option(help: "Councils (slugs, comma-separated) the fakes know; each gets a token, an API key and two applications.")
    var councils = DemoCouncils.slugs.joined(separator: ",")
    @Option(help: "Writes each council's credentials here as `kerb serve` reads them (<dir>/<slug>/national-bb-token, govuk-pay-api-key).")
    var secretsDir: String
    @Option(
        help:
            "Writes KERB_NATIONAL_BB_URL, KERB_GOVUK_PAY_URL, KERB_NOTIFY_URL and KERB_SECRETS_DIR here (shell syntax) once both fakes listen."
    )
    var envFile: String?
    @Option(help: "Keeps the national register's badge numbering here across restarts (default: $KERB_STATE_DIR, else none).")
    var stateDir = ProcessInfo.processInfo.environment["KERB_STATE_DIR"] ?? ""

    func run() async throws {
        let slugs = councils.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !slugs.isEmpty else { throw failure("--councils names no council") }
        guard slugs.allSatisfy({ $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") } }) else {
            throw failure("--councils takes slugs: lower-case letters, digits and hyphens")
        }
        guard [nationalPort, payPort, notifyPort].allSatisfy({ (0...65535).contains($0) }) else { throw failure("ports must be 0-65535") }
        let logger = Logger(label: "kerb-demo")
        let secrets = URL(fileURLWithPath: secretsDir)
        let state = stateDir.isEmpty ? nil : URL(fileURLWithPath: stateDir)
        do {
            let fakes = DemoFakes(councils: slugs, logger: logger, stateDirectory: state)
            let (nationalURL, payURL, notifyURL) = try await fakes.start(
                host: host, nationalPort: nationalPort, payPort: payPort, notifyPort: notifyPort)
            try fakes.writeSecrets(to: secrets)
            let settings = [
                "KERB_NATIONAL_BB_URL=\(nationalURL)", "KERB_GOVUK_PAY_URL=\(payURL)", "KERB_NOTIFY_URL=\(notifyURL)",
                "KERB_SECRETS_DIR=\(Self.quoted(secrets.path))",
            ]
            if let envFile {
                // Written whole, then renamed, so a reader never sees half of it.
                let partial = envFile + ".partial"
                try Data((settings.map { "export \($0)" }.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: partial))
                guard rename(partial, envFile) == 0 else { throw failure("cannot write \(envFile)") }
            }
            FileHandle.standardOutput.write(Data((settings.joined(separator: "\n") + "\n").utf8))
            await Self.untilInterrupted()
            await fakes.stop()
        } catch let error as CleanExit {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            throw failure("\(error)")
        }
    }

    /// One line on stderr, as `kerb` reports a failure; exit status 2.
    private func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("kerb-demo: \(message)\n".utf8))
        return ExitCode(2)
    }

    static func quoted(_ path: String) -> String { "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Returns at the first SIGINT or SIGTERM.
    static func untilInterrupted() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
