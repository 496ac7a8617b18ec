import ArgumentParser
import Foundation
import KerbCore
import Policy

/// `kerb policy check FILE`: validates a local policy offline with the same code as the admin
/// pages and onboarding, listing every violation of the nation's statutory guardrails.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with local policy documents.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a local policy YAML file against the statutory guardrails.")
        @Argument(help: "The policy file (YAML, as policies/default.yaml).") var file: String
        @Option(help: "England, Scotland, Wales or Northern Ireland.") var nation: String = "England"

        func run() async throws {
            guard
                let nation = Nation.allCases.first(where: {
                    $0.rawValue.lowercased() == nation.lowercased() || $0.slug == nation.lowercased()
                })
            else { throw ValidationError("--nation must be one of \(Nation.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                FileHandle.standardError.write(Data("kerb: cannot read \(file)\n".utf8))
                throw ExitCode(2)
            }
            do {
                let document = try PolicyFile.parseLocal(yaml: text)
                try PolicyCheck.validate(document, within: try PolicyFile.bundledGuardrails(nation))
                print("ok: \(file) is within the statutory guardrails for \(nation.rawValue)")
            } catch {
                let issues = error.issues.isEmpty ? [FieldIssue(field: "document", message: error.publicDetail)] : error.issues
                for issue in issues {
                    FileHandle.standardError.write(Data("kerb: \(file): \(issue.field): \(issue.message)\n".utf8))
                }
                throw ExitCode(2)
            }
        }
    }
}
