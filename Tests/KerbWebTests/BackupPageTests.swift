import Backups
import Foundation
import HummingbirdTesting
import KerbTestSupport
import Logging
import Prometheus
import Storage
import Tenancy
import Testing
import Web

/// Issue 13, item 6 and 5: a council's administrators see their backups and the evidence of each
/// verified restore, and download it; another council sees none of it; supplier operations and
/// `/metrics` see every council's state.
@Suite struct BackupPageTests {
    static let logger = Logger(label: "test")

    @Test func administratorsSeeAndDownloadTheirEvidenceAndNoOneElsesAndMetricsCarryTheAge() async throws {
        let metrics = PrometheusCollectorRegistry()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-backups-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try await withApp(WebConfig(metricsToken: "t0ken"), metrics: metrics) { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let neighbour = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let backups = BackupService(
                lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs,
                tools: PostgresTools(config: TestDatabase.config),
                root: root)
            let slug = council.tenant.slug.rawValue
            let empty = try await council.admin.get("/admin/backups")
            #expect(empty.status == .ok && empty.html.contains("No backup of this council has been restored and checked yet."))

            let record = try await backups.take(slug, by: "schedule:test")
            let check = try await backups.verify(record.id, by: "schedule:test")
            #expect(check.passed)

            let page = try await council.admin.get("/admin/backups")
            #expect(page.status == .ok)
            #expect(page.html.contains("Latest verified restore") && page.html.contains("Passed ") && page.html.contains("schedule:test"))
            let csv = try await council.admin.get("/admin/backups/evidence.csv")
            #expect(csv.status == .ok && csv.html.hasPrefix("council,backup,backup taken,"))
            let lines = csv.html.split(separator: "\r\n")
            #expect(lines.count == 3 && lines[1].contains(record.id.uuidString.lowercased()) && lines[1].contains(",passed,"))

            // Those who cannot read the audit trail cannot see it; another council sees none of it.
            #expect(try await council.other.get("/admin/backups").status == .forbidden)
            let theirs = try await neighbour.admin.get("/admin/backups/evidence.csv")
            #expect(
                theirs.status == .ok && !theirs.html.contains(record.id.uuidString.lowercased())
                    && theirs.html.split(separator: "\r\n").count == 2)

            // /metrics: the age of the last verified restore and whether the last check passed.
            try await BackupWatch(deps: deps, logger: Self.logger).runOnce()
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer t0ken"]) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("kerb_backup_last_check_passed{council=\"\(slug)\"} 1"))
                #expect(text.contains("kerb_backup_last_verified_age_seconds{council=\"\(slug)\"}"))
                #expect(!text.contains("kerb_backup_last_check_passed{council=\"\(neighbour.tenant.slug.rawValue)\"}"))
            }
        }
    }

    @Test func aFailedCheckIsShownAsFailedWithItsReason() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-backups-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let backups = BackupService(
                lifecycle: try await TestDatabase.lifecycle(), blobs: TestDatabase.vault.blobs,
                tools: PostgresTools(config: TestDatabase.config),
                root: root)
            let record = try await backups.take(council.tenant.slug.rawValue, by: "test")
            try FileManager.default.removeItem(atPath: record.folder + "/database.pgdump.kerb")
            #expect(try await backups.verify(record.id, by: "test").passed == false)
            let page = try await council.admin.get("/admin/backups")
            #expect(page.html.contains("The most recent check FAILED") && page.html.contains("database.pgdump.kerb is missing"))
            #expect(page.html.contains("No backup of this council has been restored and checked yet."))
            #expect(!page.html.contains("Passed "))
        }
    }
}
