import ArgumentParser
import Foundation
import Tenancy

/// `kerb ops invite`: adds a member of the supplier's operations team, who then sets their own
/// password and 2FA at the printed link. No one, supplier included, ever holds a default password.
struct OpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Supplier operations accounts.", subcommands: [Invite.self])

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invite a supplier-ops person; prints a one-time set-up path.")

        @Option(help: "Their full name.") var name: String
        @Option(help: "Their work email address.") var email: String

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let token = try await SupplierOps.invite(runtime.admin, fullName: name, email: email)
                    print("Set-up link (once, within 7 days): /ops/setup?token=\(token)")
                }
            }
        }
    }
}
