import ArgumentParser
import Foundation
import Keys
import Tenancy

/// `kerb keys …`: councils' data keys and the master key that wraps them.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Rotate a council's data key, or the master key.",
        subcommands: [Rotate.self, NewMaster.self, RotateMaster.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a council a new data key: its documents' keys and secrets are re-sealed; the files are not re-encrypted.")
        @Option(help: "The council's slug.") var tenant: String

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let rotation = try await runtime.lifecycle().rotateKeys(tenant, actor: operatorName())
                    print(
                        "rotated \(tenant)'s data key to version \(rotation.version): \(rotation.documents) document keys and \(rotation.secrets) secrets re-sealed; the old key is destroyed"
                    )
                }
            }
        }
    }

    struct NewMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-master", abstract: "Write a new random master key to a file (readable by its owner only).")
        @Option(help: "Where to write it; the file must not exist.") var to: String

        func run() async throws {
            try await reportingErrors {
                let key = MasterKey.random()
                let descriptor = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { throw KeysError.masterKeyUnreadable("\(to) exists or cannot be created") }
                defer { close(descriptor) }
                let text = Array(key.fileText.utf8)
                guard write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
                    throw KeysError.masterKeyUnreadable("\(to) could not be written")
                }
                print("new master key \(key.id) written to \(to)")
            }
        }
    }

    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Re-wrap every council's data key from the current master key (KERB_MASTER_KEY_FILE) to a new one.")
        @Option(help: "The new master key's file (from `kerb keys new-master`).") var newKeyFile: String

        func run() async throws {
            try await reportingErrors {
                let next = try MasterKey.load(path: newKeyFile)
                try await Runtime.with { runtime in
                    let count = try await runtime.lifecycle().rotateMasterKey(to: next)
                    print(
                        "re-wrapped \(count) data keys under master key \(next.id); point KERB_MASTER_KEY_FILE at \(newKeyFile), restart kerb serve, then destroy the old key file"
                    )
                }
            }
        }
    }
}
