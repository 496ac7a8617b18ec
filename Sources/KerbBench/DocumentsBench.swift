import Casework
import Documents
import Foundation
import KerbCore
import Logging
import Policy
import Storage
import Tenancy
import Web

/// Document upload and download through the use cases the pages and the API call (type check,
/// AES-256-GCM in 64 KiB segments, durable write, row and audit; access check, audit, decrypt),
/// for 1 MB and 10 MB files, next to copying the same file on the same disk (`cp`, then `fsync`,
/// as the store syncs what it writes); and the time of a subject access archive for a person
/// with 20 documents. In process: HTTP transfer is not part of the figures.
struct DocumentsBench {
    let config: DatabaseConfig
    let fleet: Fleet
    let admin: AdminDatabase
    let rounds: Int
    let slug = "bench-documents"

    func run(_ report: Report) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        report.line("\nDocuments (one council; use cases in process; \(rounds) rounds, median)")
        let scope = TenantScope(try Slug.bench(slug))
        if try await admin.session({ s in try s.query("SELECT 1 FROM kerb_control.tenants WHERE slug = $1", [slug]) }).isEmpty {
            try await fleet.onboard(slug)
        }
        let vault = try VaultSettings.fromEnvironment(ProcessInfo.processInfo.environment)
        let deps = try await WebDependencies.live(config, vault: vault, readWorkers: 1, metrics: nil, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await deps.database.pool.run() }
            defer { group.cancelAll() }
            let officer = try await BenchOfficer.signedIn(scope, name: "Dana Records", deps: deps, admin: admin, logger: logger)
            let actor = Actor(
                officer: Officer(id: officer.userID, name: "Dana Records"),
                principal: Principal(
                    userID: officer.userID, groups: [AccessGroup(name: "Bench", permissions: [.viewCase, .editCase, .runExports])]))
            let system = try await SystemActor.actor(deps.identity.database, scope, logger: logger)
            let reference = try await deps.cases.takeIn(
                scope,
                PersonDetails(
                    fullName: "Bench Applicant", dateOfBirth: Date(timeIntervalSince1970: -276_000_000), addressLine1: "1 Bench Street",
                    town: "London", postcode: "SW1A 1AA"),
                confirmedNew: true, .init(personID: UUID(), kind: .new, channel: .paper, eligibility: .walking), as: system, logger: logger)
            let policy = LocalPolicyDocument.Documents.standard
            let work = URL(fileURLWithPath: ProcessInfo.processInfo.environment["KERB_DOCUMENTS_DIR"] ?? NSTemporaryDirectory())
                .deletingLastPathComponent().appendingPathComponent("bench-documents-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }

            for megabytes in [1, 10] {
                let source = work.appendingPathComponent("source-\(megabytes).pdf")
                var bytes = Data("%PDF-1.7\n".utf8)
                bytes.append(Data((0..<(megabytes * 1_048_576 - bytes.count)).map { _ in UInt8.random(in: 0...255) }))
                try bytes.write(to: source)
                var copy: [Double] = []
                var upload: [Double] = []
                var download: [Double] = []
                for round in 0..<rounds {
                    let copied = work.appendingPathComponent("copy-\(megabytes)-\(round).pdf")
                    copy.append(try await Tools.seconds { try Self.copyAndSync(source, to: copied) })
                    var stored: CaseDocument?
                    upload.append(
                        try await Tools.seconds {
                            stored = try await deps.documents.upload(
                                scope, reference: reference, .init(stage: .application, documentClass: .evidence, fileName: "bench.pdf"),
                                body: Self.chunks(source), policy: policy, as: actor, logger: logger)
                        })
                    guard let id = stored?.id else { continue }
                    let out = work.appendingPathComponent("download-\(megabytes)-\(round).pdf")
                    download.append(
                        try await Tools.seconds {
                            let (_, stream) = try await deps.documents.open(scope, reference: reference, id: id, as: actor, logger: logger)
                            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
                            let handle = try FileHandle(forWritingTo: out)
                            for try await piece in stream { try handle.write(contentsOf: piece) }
                            try handle.synchronize()
                            try handle.close()
                        })
                }
                let mb = Double(megabytes)
                let (c, u, d) = (Stats.median(copy), Stats.median(upload), Stats.median(download))
                report.line(
                    String(
                        format: "  %2d MB: cp+fsync %6.1f MB/s | upload %6.1f MB/s (%.2fx cp) | download %6.1f MB/s (%.2fx cp)", megabytes,
                        mb / c, mb / u, c / u, mb / d, c / d))
            }

            // Subject access for a person with 20 documents of 1 MB each (on top of those above).
            let one = work.appendingPathComponent("source-1.pdf")
            let have = try await deps.cases.file(scope, reference: reference, as: actor, logger: logger).documents.count
            for _ in have..<max(have, 20) {
                _ = try await deps.documents.upload(
                    scope, reference: reference, .init(stage: .application, documentClass: .evidence, fileName: "evidence.pdf"),
                    body: Self.chunks(one), policy: policy, as: actor, logger: logger)
            }
            let count = try await deps.cases.file(scope, reference: reference, as: actor, logger: logger).documents.count
            var times: [Double] = []
            for _ in 0..<rounds {
                times.append(
                    try await Tools.seconds {
                        let archive = try await deps.subjectAccess.archive(scope, reference: reference, as: actor, logger: logger)
                        try? FileManager.default.removeItem(at: archive.file.deletingLastPathComponent())
                    })
            }
            report.line(
                String(format: "  subject access archive, %d documents (about %d MB): %.0f ms", count, count, Stats.median(times) * 1000))
        }
    }

    /// The file in 64 KiB pieces, read as they are asked for (as a request body arrives).
    static func chunks(_ file: URL) throws -> AsyncThrowingStream<Data, any Error> {
        let handle = try FileHandle(forReadingFrom: file)
        return AsyncThrowingStream(unfolding: {
            let piece = try handle.read(upToCount: 65_536)
            if piece?.isEmpty ?? true { try handle.close() }
            return piece?.isEmpty == false ? piece : nil
        })
    }

    static func copyAndSync(_ source: URL, to target: URL) throws {
        try Tools.run("/bin/cp", [source.path, target.path])
        let handle = try FileHandle(forWritingTo: target)
        try handle.synchronize()
        try handle.close()
    }
}
