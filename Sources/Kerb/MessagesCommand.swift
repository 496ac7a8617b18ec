import ArgumentParser
import Casework
import Communications
import Documents
import Foundation
import Logging
import Storage
import Tenancy
import Web

/// `kerb messages`: a bulk send from the command line (preview, then send with a progress line),
/// and `send`, which finishes whatever a council has waiting: bulk sends still being written
/// (after a crash, say) and the outbox, through the council's GOV.UK Notify service (the same
/// settings as `kerb serve`). Safe beside running `kerb serve` processes: both claim with SKIP LOCKED.
struct MessagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages", abstract: "Bulk sends and the outbox.", subcommands: [Bulk.self, Send.self])

    struct Bulk: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Preview a bulk send to a selection; with --send, start it and send it, showing progress.")

        @Option(help: "The council's slug.") var tenant: String
        @Option(help: "Who to: \(BulkSelection.allCases.map(\.rawValue).joined(separator: ", ")).") var selection: String
        @Flag(help: "Start the send (otherwise only the count and a sample are shown).") var send = false

        func run() async throws {
            guard let chosen = BulkSelection(rawValue: selection) else {
                throw ValidationError("--selection must be one of \(BulkSelection.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            try await reportingErrors {
                try await MessagesCommand.withCouncil(tenant) { deps, council, actor, logger in
                    let preview = try await deps.bulkMail.preview(council.scope, chosen, as: actor, logger: logger)
                    print("\(chosen.title): \(preview.count) people, each sent one \(chosen.kind.title.lowercased())")
                    if let sample = preview.samples.first {
                        print(
                            "For example, to \(sample.addressee) by \(sample.channel.rawValue):\n  \(sample.subject)\n  "
                                + sample.body.replacingOccurrences(of: "\n", with: "\n  "))
                    }
                    guard send else {
                        print("Nothing sent: add --send to send it.")
                        return
                    }
                    let id = try await deps.bulkMail.start(council.scope, chosen, as: actor, logger: logger)
                    print("Bulk send \(id.uuidString.lowercased()) started.")
                    try await MessagesCommand.finish(deps, council, logger: logger)
                }
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Finish a council's waiting messages: bulk sends still being written, then the outbox, with progress.")

        @Option(help: "The council's slug.") var tenant: String

        func run() async throws {
            try await reportingErrors {
                try await MessagesCommand.withCouncil(tenant) { deps, council, _, logger in
                    try await MessagesCommand.finish(deps, council, logger: logger)
                }
            }
        }
    }

    /// The web dependencies with their pool running, the council, and the system actor.
    static func withCouncil(
        _ slug: String, _ body: (WebDependencies, Tenant, Actor, Logger) async throws -> Void
    ) async throws {
        var logger = Logger(label: "kerb")
        logger.logLevel = .warning
        let config = try DatabaseConfig.fromEnvironment(ProcessInfo.processInfo.environment)
        var built = try await WebDependencies.live(
            config, vault: try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment), readWorkers: 1, metrics: nil,
            logger: logger)
        built.external = ExternalWiring.live(environment: ProcessInfo.processInfo.environment)
        let deps = built
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await deps.database.pool.run() }
            defer { group.cancelAll() }
            guard let council = try await deps.tenants.tenant(slug: slug, logger: logger), council.isActive else {
                throw ValidationError("there is no active council \(slug)")
            }
            let actor = try await SystemActor.actor(deps.identity.database, council.scope, logger: logger)
            try await body(deps, council, actor, logger)
        }
    }

    /// Writes the council's bulk sends and sends its outbox until nothing is left to send now,
    /// printing progress; messages waiting for a retry are left to `kerb serve`.
    static func finish(_ deps: WebDependencies, _ council: Tenant, logger: Logger) async throws {
        // KERB_OUTBOX_CLAIM_SECONDS shortens the claim (2 minutes) for rehearsing a crash;
        // KERB_NOTIFY_PER_MINUTE raises the pace (2,400) where Notify raised the council's limit.
        let environment = ProcessInfo.processInfo.environment
        let claim = environment["KERB_OUTBOX_CLAIM_SECONDS"].flatMap(TimeInterval.init).map { max(1, min($0, 3_600)) }
        let pace = environment["KERB_NOTIFY_PER_MINUTE"].flatMap(Int.init).map { max(1, min($0, 1_000_000)) }
        let dispatch = OutboxDispatch(
            deps: deps, wiring: deps.external.notify, claim: claim ?? 120, perMinute: pace ?? 2_400, logger: logger)
        if deps.external.notify?.service(council) == nil {
            print("GOV.UK Notify is not set up for \(council.slug): messages are written and wait in the outbox.")
        }
        while true {
            let reports = try await dispatch.runOnce(only: [council], track: false)
            let progress = try await deps.bulkMail.sends(council.scope, logger: logger).first
            if let progress {
                print("written \(progress.written) of \(progress.total), sent \(progress.sent), to act on \(progress.failed)")
            }
            let written = progress.map { $0.state != "enqueuing" } ?? true
            if reports.isEmpty && written { break }
        }
        print("Done: nothing more to send now.")
    }
}
