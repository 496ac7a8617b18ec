import Backups
import Foundation
import Hummingbird
import Policy

/// A council's backups and the evidence that each was restored and checked (issue 13), for
/// those who read the audit trail, with a report to download and keep. Read-only: backups are
/// taken, verified and restored by supplier operations' commands and the daily schedule.
struct AdminBackupsController: Sendable {
    let evidence: BackupEvidence
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/backups", .viewAudit, use: list)
        group.get("admin/backups/evidence.csv", .viewAudit, use: report)
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let found = try await evidence.council(context.tenant.scope, logger: context.logger)
        let lastCheck = Dictionary(found.checks.reversed().map { ($0.backupID, $0) }, uniquingKeysWith: { _, newer in newer })
        var latest = RecordPage.Section(heading: "Latest verified restore")
        if let check = found.checks.first(where: \.passed) {
            latest.lines = [
                .init(key: "Restored and checked", value: Formats.dateTime(check.finishedAt)),
                .init(key: "What matched", value: "\(check.tables) tables, \(check.rows) rows, \(check.documents) documents"),
                .init(key: "Run by", value: check.by),
            ]
        } else {
            latest.empty = "No backup of this council has been restored and checked yet."
        }
        if let failed = found.checks.first, !failed.passed {
            latest.lead = [
                "The most recent check FAILED (\(Formats.dateTime(failed.finishedAt))): " + failed.mismatches.joined(separator: "; ")
            ]
        }
        var backups = RecordPage.Section(heading: "Backups")
        backups.lead = [
            "Each backup is one snapshot of the council's records and documents, encrypted with the council's own key. Each check restores it into a separate database and compares every table and document with what was backed up."
        ]
        if found.backups.isEmpty { backups.empty = "There are no backups yet." }
        backups.table = .init(
            headers: ["Taken", "By", "Records", "Documents", "Size", "Last check"],
            rows: found.backups.prefix(60).map { backup in
                let check = lastCheck[backup.id]
                return .init(cells: [
                    .init(key: "Taken", value: Formats.dateTime(backup.completedAt)), .init(key: "By", value: backup.takenBy),
                    .init(key: "Records", value: "\(backup.rows)"), .init(key: "Documents", value: "\(backup.documents)"),
                    .init(key: "Size", value: ByteCountFormatter.string(fromByteCount: backup.bytes, countStyle: .file)),
                    .init(
                        key: "Last check",
                        value: check.map { ($0.passed ? "Passed " : "FAILED ") + Formats.dateTime($0.finishedAt) }
                            ?? (backup.pruned ? "Removed by retention" : "Not checked yet")),
                ])
            })
        return try pages.render(
            "record",
            RecordPage(
                title: "Backups", caption: "\(found.checks.filter(\.passed).count) verified restores on record",
                links: [
                    .init(label: "Download the evidence (CSV)", href: context.basePath + "/admin/backups/evidence.csv", current: false)
                ],
                sections: [latest, backups], layout: .council(context, current: "/admin/backups")))
    }

    @Sendable func report(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let found = try await evidence.council(context.tenant.scope, logger: context.logger)
        let council = context.tenant.slug.rawValue
        let text = Self.report(council: council, found, generated: Date())
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"kerb-backup-evidence-\(council).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The council's evidence for an auditor to keep: every verification with its backup, when,
    /// by whom or which schedule, how long, the result and any mismatches.
    static func report(council: String, _ evidence: (backups: [BackupEvidence.Backup], checks: [BackupEvidence.Check]), generated: Date)
        -> String
    {
        let format = ISO8601DateFormatter()
        let taken = Dictionary(evidence.backups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var csv = CSVExport(header: [
            "council", "backup", "backup taken", "backup taken by", "backup rows", "backup documents", "backup bytes", "verified at",
            "verified by", "seconds", "result", "tables", "rows", "documents", "mismatches",
        ])
        for check in evidence.checks {
            let backup = taken[check.backupID]
            csv.append([
                council, check.backupID.uuidString.lowercased(), backup.map { format.string(from: $0.completedAt) } ?? "",
                backup?.takenBy ?? "", backup.map { String($0.rows) } ?? "", backup.map { String($0.documents) } ?? "",
                backup.map { String($0.bytes) } ?? "", format.string(from: check.finishedAt), check.by,
                String(format: "%.1f", check.seconds),
                check.passed ? "passed" : "FAILED", String(check.tables), String(check.rows), String(check.documents),
                check.mismatches.joined(separator: "; "),
            ])
        }
        csv.append([
            "generated \(format.string(from: generated)) by Kerb; each row is a restore of the backup into a scratch database, compared table by table and document by document"
        ])
        return csv.text
    }
}
