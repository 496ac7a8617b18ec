import ContractFakes
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import Notify
import PostgresNIO
import Storage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12's "done when": a bulk send run by the real `kerb` binary is killed with SIGKILL
/// part-way, then finished by a second run, against the test cluster and the Notify fake over
/// HTTP: every person gets exactly one message, and Notify receives each exactly once.
@Suite struct BulkSendCrashTests {
    static let logger = Logger(label: "test")
    static let people = 10_000

    /// The `kerb` executable `swift build` made beside this test bundle.
    static func kerbBinary() throws -> URL {
        let root = Schemathesis.repositoryRoot
        for configuration in ["debug", "release"] {
            let candidate = root.appendingPathComponent(".build/\(configuration)/kerb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestSupportError("no kerb binary under .build: run `swift build` first")
    }

    @Test func aBulkSendKilledPartWayResumesAndReachesEachPersonOnce() async throws {
        let binary = try Self.kerbBinary()
        let onboarded = try await TestDatabase.onboardTestTenant()
        let tenant = onboarded.tenant
        let fake = GovUKNotifyFake(ratePerMinute: 100_000, dailyLimit: 1_000_000)
        let port = try await fake.start()
        defer { Task { await fake.stop() } }
        let key = fake.addService(name: "Crash test council")
        let templates: [NotifyChannel: UUID] = [
            .email: fake.addTemplate(service: key.serviceID, name: "e", type: .email, subject: "((subject))", body: "((body))"),
            .letter: fake.addTemplate(service: key.serviceID, name: "l", type: .letter, subject: "((subject))", body: "((body))"),
            .sms: fake.addTemplate(service: key.serviceID, name: "s", type: .sms, body: "((body))"),
        ]
        let secrets = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-secrets-\(UUID().uuidString)")
        let folder = secrets.appendingPathComponent(tenant.authoritySlug)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: secrets) }
        try Data(key.text.utf8).write(to: folder.appendingPathComponent("notify-api-key"))
        try Data(NotifyService.templatesFile(templates).utf8).write(to: folder.appendingPathComponent("notify-templates"))

        try await TestDatabase.withAppDatabase { database in
            try await SyntheticHolders.insert(database, tenant.scope, count: Self.people, emailEvery: 2, logger: Self.logger)

            var environment = ProcessInfo.processInfo.environment
            environment["KERB_SECRETS_DIR"] = secrets.path
            environment["KERB_NOTIFY_URL"] = "http://127.0.0.1:\(port)"
            environment["KERB_OUTBOX_CLAIM_SECONDS"] = "2"
            environment["KERB_NOTIFY_PER_MINUTE"] = "1000000"
            // The first run: killed once it has written a batch and Notify has taken some messages.
            let first = try Self.launch(
                binary, ["messages", "bulk", "--tenant", tenant.slug.description, "--selection", "expiring-badges", "--send"], environment)
            let deadline = ContinuousClock.now + .seconds(120)
            while fake.notifications.count < 2_000, ContinuousClock.now < deadline, first.isRunning {
                try await Task.sleep(for: .milliseconds(20))
            }
            try #require(first.isRunning, "the first run ended before it could be killed")
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            let sentBefore = fake.notifications.count
            #expect(sentBefore < Self.people)

            // The second run finishes, once the killed run's claims have lapsed.
            try await Task.sleep(for: .seconds(3))
            let second = try Self.launch(binary, ["messages", "send", "--tenant", tenant.slug.description], environment)
            second.waitUntilExit()
            #expect(second.terminationStatus == 0)

            let rows = try await database.transaction(tenant.scope, logger: Self.logger) { conn in
                try await conn.query(
                    """
                    SELECT count(*)::int, count(DISTINCT person_id)::int, (count(*) FILTER (WHERE state NOT IN ('sent', 'delivered')))::int
                    FROM messages WHERE bulk_id IS NOT NULL
                    """, logger: Self.logger
                ).collect().first?.decode((Int, Int, Int).self)
            }
            let (messages, people, unsent) = try #require(rows)
            #expect(messages == Self.people && people == Self.people && unsent == 0)
            let references = fake.notifications.compactMap(\.reference)
            #expect(references.count == Self.people && Set(references).count == Self.people)
        }
    }

    static func launch(_ binary: URL, _ arguments: [String], _ environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        try process.run()
        return process
    }
}
