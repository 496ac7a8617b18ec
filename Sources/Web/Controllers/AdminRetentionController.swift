import Casework
import Foundation
import Hummingbird
import Identity
import Policy

/// The retention dry run: what the daily retention pass will remove, and why, for the council's
/// administrators to see before it happens (the pass itself runs in `ScheduledCasework`).
struct AdminRetentionController: Sendable {
    let identity: IdentityServices
    let retention: DocumentRetention
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
        return try pages.render(
            "record",
            RecordPage(
                title: "Retention", caption: "Dry run: \(due.count) document\(due.count == 1 ? "" : "s") due", sections: [section],
                layout: .council(context, current: "/admin/retention")))
    }
}
