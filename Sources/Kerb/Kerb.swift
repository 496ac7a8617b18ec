import ArgumentParser
import Foundation
import KerbCore
import Storage

/// `kerb`: the one binary. Subcommands parse input, build configuration from `KERB_*`
/// environment variables (secrets only ever from the environment) and call the modules.
@main
struct Kerb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Blue Badge casework for UK councils, one schema per council.",
        subcommands: [
            Serve.self, Migrate.self, TenantCommand.self, KeysCommand.self, AuditCommand.self, OpsCommand.self, PolicyCommand.self,
            Demo.self, MessagesCommand.self, BackupCommand.self,
        ])
}

/// Prints a failure as one line on stderr and exits non-zero; `KerbError`s say what to fix.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as any KerbError {
        FileHandle.standardError.write(Data("kerb: \(describe(error))\n".utf8))
        throw ExitCode(error.kind == .unavailable ? 3 : 2)
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("kerb: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Operator-facing text: storage errors carry the server's message for the operator's own terminal.
func describe(_ error: any KerbError) -> String {
    if let storage = error as? StorageError { return storage.description }
    return error.publicDetail
}

/// Who is acting, for lifecycle records: `KERB_OPERATOR`, else the OS user.
func operatorName() -> String {
    let env = ProcessInfo.processInfo.environment
    return "supplier-ops:" + (env["KERB_OPERATOR"] ?? env["USER"] ?? env["LOGNAME"] ?? "unknown")
}
