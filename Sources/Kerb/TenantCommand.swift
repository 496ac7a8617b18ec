import ArgumentParser
import Foundation
import Tenancy

/// `kerb tenant …`: supplier-ops lifecycle of councils.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Onboard, inspect, suspend, resume, export, import and offboard councils.",
        subcommands: [Onboard.self, List.self, Show.self, Suspend.self, Resume.self, Export.self, Import.self, Offboard.self])

    struct Onboard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a council's schema, role and first admin invitation.")
        @Argument(help: "The authority's slug in tenants/authorities.csv, e.g. westminster.") var authority: String
        @Option(help: "Tenant slug (hostname label); defaults to the authority's slug.") var slug: String?
        @Option(name: .customLong("hostname"), help: "An extra hostname for this council (repeatable).") var hostnames: [String] = []
        @Option(help: "Full name of the council's first administrator.") var adminName: String
        @Option(help: "Email of the council's first administrator.") var adminEmail: String

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let started = ContinuousClock.now
                    let onboarded = try await runtime.lifecycle().onboard(
                        .init(
                            authority: authority, slug: slug, hostnames: hostnames, adminName: adminName, adminEmail: adminEmail,
                            actor: operatorName()))
                    let elapsed = ContinuousClock.now - started
                    let t = onboarded.tenant
                    print(
                        "onboarded \(t.slug) (\(t.displayName), band \(t.band.rawValue), \(t.nation.rawValue)) in \(elapsed.formatted(.units(allowed: [.milliseconds], width: .narrow)))"
                    )
                    print("first admin set-up token (show once, send to the council securely): \(onboarded.adminSetupToken)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List councils and their status.")
        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let tenants = try await runtime.lifecycle().list()
                    print("SLUG".padding(toLength: 32, withPad: " ", startingAt: 0) + "BAND  NATION            STATUS     NAME")
                    for t in tenants {
                        print(
                            t.slug.rawValue.padding(toLength: 32, withPad: " ", startingAt: 0) + t.band.rawValue + "     "
                                + t.nation.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)
                                + t.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + t.displayName)
                    }
                    print("\(tenants.count) tenant(s)")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a council's tenant record and lifecycle history.")
        @Argument var slug: String
        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let d = try await runtime.lifecycle().show(slug)
                    let t = d.tenant
                    print(
                        "slug:       \(t.slug)\nauthority:  \(t.displayName) (\(t.authoritySlug))\nband:       \(t.band.rawValue)\nnation:     \(t.nation.rawValue)"
                    )
                    print(
                        "status:     \(t.status.rawValue)\(t.statusReason.map { " — \($0)" } ?? "")\nschema:     \(t.scope.schema)\nroles:      \(t.scope.ownerRole) (owner), \(t.scope.requestRole) (requests)"
                    )
                    print("hostnames:  \(([t.slug.rawValue + ".<base domain>"] + t.hostnames).joined(separator: ", "))")
                    print("migrations: \(d.migrations.joined(separator: ", "))")
                    print("history:")
                    for e in d.events { print("  \(e.at)  \(e.event)  by \(e.actor)\(e.detail.map { ": \($0)" } ?? "")") }
                }
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop all access to a council's service; its data is kept.")
        @Argument var slug: String
        @Option(help: "Why; kept in the council's lifecycle history.") var reason: String
        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let t = try await runtime.lifecycle().suspend(slug, reason: reason, actor: operatorName())
                    print("\(t.slug) is now \(t.status.rawValue)")
                }
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restore access to a suspended council.")
        @Argument var slug: String
        @Option(help: "Why; kept in the council's lifecycle history.") var reason: String
        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let t = try await runtime.lifecycle().resume(slug, reason: reason, actor: operatorName())
                    print("\(t.slug) is now \(t.status.rawValue)")
                }
            }
        }
    }

    struct Offboard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a council's data after a verified full export.")
        @Argument var slug: String
        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let certificate = try await runtime.lifecycle().offboard(slug, actor: operatorName(), blobs: try runtime.vault().blobs)
                    print(certificate.text)
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a council's full export (every table as CSV and JSON, every document, a manifest), or verify one.",
            subcommands: [Write.self, Verify.self, Keypair.self, Decrypt.self], defaultSubcommand: Write.self)

        struct Write: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "write", abstract: "Export a council to a new folder.")
            @Argument(help: "The council's slug.") var slug: String
            @Option(help: "A new or empty folder.") var to: String
            @Option(
                help: "Seal every document to this public key of the council's (a file: 32 bytes of X25519, base64; see `keypair`).")
            var sealTo: String?

            func run() async throws {
                try await reportingErrors {
                    let recipient = try sealTo.map { try ExportEncryption.publicKey(file: URL(fileURLWithPath: $0)) }
                    try await Runtime.with { runtime in
                        let summary = try await TenantExport(lifecycle: try runtime.lifecycle(), blobs: try runtime.vault().blobs)
                            .export(slug, to: URL(fileURLWithPath: to, isDirectory: true), actor: operatorName(), sealTo: recipient)
                        let rows = summary.manifest.tables.reduce(0) { $0 + $1.rows }
                        let sealed = summary.manifest.sealedTo.map { ", sealed to key \($0)" } ?? ""
                        print(
                            "exported \(slug): \(summary.manifest.tables.count) tables (\(rows) rows), \(summary.manifest.documents.count) documents\(sealed); manifest SHA-256 \(summary.manifestSHA256)"
                        )
                        print("next: kerb tenant export verify \(to)")
                    }
                }
            }
        }

        struct Keypair: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make a key pair for a council to receive sealed exports: FILE (private, 0600) and FILE.pub.")
            @Option(help: "Where to write the private key (a new file); the public key goes beside it as .pub.") var out: String

            func run() async throws {
                try await reportingErrors {
                    let (privateKey, publicKey) = ExportEncryption.newPair()
                    let url = URL(fileURLWithPath: out)
                    guard !FileManager.default.fileExists(atPath: url.path),
                        FileManager.default.createFile(
                            atPath: url.path, contents: Data((privateKey + "\n").utf8), attributes: [.posixPermissions: 0o600]),
                        FileManager.default.createFile(atPath: url.path + ".pub", contents: Data((publicKey + "\n").utf8))
                    else { throw TenancyError.exportKeyUnusable("\(out) exists already, or cannot be written") }
                    let fingerprint = ExportEncryption.fingerprint(try ExportEncryption.publicKey(file: URL(fileURLWithPath: out + ".pub")))
                    print("private key: \(out) (keep it with the council; Kerb never needs it)")
                    print("public key:  \(out).pub (give it to Kerb's operators), fingerprint \(fingerprint)")
                }
            }
        }

        struct Decrypt: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Open the sealed documents of an export with the council's private key, into a new folder.")
            @Argument(help: "The export's folder.") var folder: String
            @Option(help: "The council's private key file (from `keypair`).") var privateKey: String
            @Option(help: "A new or empty folder for the documents.") var to: String

            func run() async throws {
                try await reportingErrors {
                    let count = try ExportEncryption.decrypt(
                        URL(fileURLWithPath: folder, isDirectory: true), privateKey: URL(fileURLWithPath: privateKey),
                        to: URL(fileURLWithPath: to, isDirectory: true))
                    print("decrypted \(count) documents into \(to), each matching its recorded SHA-256")
                }
            }
        }

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check an export's files and compare it with the council's live data.")
            @Argument(help: "The export's folder.") var folder: String

            func run() async throws {
                try await reportingErrors {
                    try await Runtime.with { runtime in
                        let manifest = try await TenantExport(lifecycle: try runtime.lifecycle(), blobs: try runtime.vault().blobs)
                            .verify(URL(fileURLWithPath: folder, isDirectory: true), actor: operatorName())
                        print("verified: the export of \(manifest.council) matches its files and the council's data")
                    }
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a Kerb export or legacy CSV files (docs/import-template.md) into an onboarded, empty council.",
            discussion: """
                Without --apply this is a dry run: everything is read and checked, written in a transaction that is rolled \
                back, and reported (what would be created, what is refused and why); nothing is kept. With --apply the \
                documents are stored under the council's key, every row is written in one transaction, and the council is \
                then verified against the import. Exits non-zero if anything is refused.
                """)
        @Argument(help: "The council's slug (onboarded, holding no casework).") var slug: String
        @Option(help: "A Kerb export's folder (manifest.json) or a folder of legacy CSV files (people.csv, ...).") var from: String
        @Flag(help: "Write the import (the default is a dry run that writes nothing).") var apply = false

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let importer = TenantImport(lifecycle: try runtime.lifecycle(), blobs: try runtime.vault().blobs)
                    let folder = URL(fileURLWithPath: from, isDirectory: true)
                    guard apply else {
                        let report = try await importer.dryRun(slug, from: folder, actor: operatorName())
                        print(report.text)
                        guard report.refusals.isEmpty else { throw TenancyError.importRefused(report.refusals) }
                        print("dry run: nothing was written; run again with --apply to import")
                        return
                    }
                    do {
                        let report = try await importer.apply(slug, from: folder, actor: operatorName())
                        print(report.text)
                        print("imported into \(slug) and verified against the import")
                    } catch TenancyError.importRefused(let refusals) {
                        for refusal in refusals { print("refused: \(refusal)") }
                        throw TenancyError.importRefused(refusals)
                    }
                }
            }
        }
    }
}
