import Casework
import Foundation
import Hummingbird
import Identity
import Policy

/// The retention dry run: what the daily retention pass will remove or anonymise, and why, for the council's
/// administrators to see before it happens (the pass itself runs in `ScheduledCasework`).
struct AdminRetentionController: Sendable {
    let identity: IdentityServices
    let retention: DocumentRetention
    let records: RecordRetention
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/retention", .managePolicy, use: show)
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let policy = context.user.policy.retention
        let due = try await retention.due(context.tenant.scope, policy: policy, logger: context.logger)
        var section = RecordPage.Section(
            heading: "Documents due for removal",
            lead: [
                "Local policy keeps the documents of a decided case for \(policy.documentMonths) months after the decision, and none is removed while a review is open. The daily retention pass removes these; each case's timeline and the audit trail record it."
            ])
        if due.isEmpty {
            section.empty = "Nothing is past its retention period."
        } else {
            section.table = .init(
                headers: ["Case", "Document", "Decided"],
                rows: due.map { item in
                    .init(cells: [
                        .init(key: "Case", value: item.reference, href: "\(context.basePath)/cases/\(item.reference)"),
                        .init(key: "Document", value: item.fileName), .init(key: "Decided", value: Formats.date(item.decidedAt)),
                    ])
                })
        }
        let records = try await records.due(context.tenant.scope, policy: policy, logger: context.logger)
        var recordSection = RecordPage.Section(
            heading: "Records due for anonymisation",
            lead: [
                "Refused and withdrawn applications are anonymised \(policy.refusedApplicationMonths) months after the decision, and an application whose badge ended \(policy.expiredBadgeMonths) months ago likewise; closed enforcement cases after \(policy.enforcementMonths) months. Once nothing of an applicant's is kept any longer, their details are erased too. References, dates and outcomes stay."
            ])
        if records.isEmpty {
            recordSection.empty = "No record is past its retention period."
        } else {
            recordSection.table = .init(
                headers: ["What", "Record", "Why"],
                rows: records.map { item in
                    let (what, href): (String, String) =
                        switch item.kind {
                        case .application: ("Case", "\(context.basePath)/cases/\(item.reference)")
                        case .enforcement: ("Enforcement case", "\(context.basePath)/enforcement/\(item.reference)")
                        case .person: ("Applicant's details", "\(context.basePath)/cases/\(item.reference)/applicant")
                        }
                    return .init(cells: [
                        .init(key: "What", value: what), .init(key: "Record", value: item.reference, href: href),
                        .init(key: "Why", value: item.why),
                    ])
                })
        }
        return try pages.render(
            "record",
            RecordPage(
                title: "Retention",
                caption:
                    "Dry run: \(due.count) document\(due.count == 1 ? "" : "s") and \(records.count) record\(records.count == 1 ? "" : "s") due",
                sections: [section, recordSection],
                layout: .council(context, current: "/admin/retention")))
    }
}
