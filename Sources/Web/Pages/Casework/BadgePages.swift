import Casework
import Foundation
import KerbCore
import Policy

/// The badge pages: the list of renewal invitations due, and one badge's own page (its details,
/// recording it as issued, cancelling it). A badge's lines are shared with the case page and an
/// enforcement case, so a badge reads the same wherever it appears.
enum BadgePages {
    /// A badge's details; `href` links its number to the badge's page.
    static func lines(_ badge: Badge, today: Day, href: String? = nil) -> [RecordPage.Line] {
        [
            .init(key: "Badge number", value: badge.number, href: href),
            .init(
                key: "Status",
                value: badge.statusLabel(today: today) + (badge.cancelReason.map { ": \($0.label)" } ?? "")
                    + (badge.replaceReason.map { ": \($0.rawValue.lowercased())" } ?? "")),
            .init(key: "Holder", value: badge.holderName),
            .init(key: "Eligibility", value: badge.eligibility),
            .init(key: "Valid", value: "\(badge.start.long) to \(badge.expiry.long)"),
            .init(key: "Delivery", value: badge.deliverTo == .council ? "To the council, for collection" : "To the holder's home"),
        ] + (badge.replaces.map { [.init(key: "Replaces", value: $0)] } ?? [])
    }

    // MARK: the list

    /// Live badges due a renewal invitation (`due`, within `withinDays` by local policy), with
    /// the button to send them all if this person may send communications.
    static func index(due: [Badge], withinDays: Int, maySend: Bool, basePath: String, csrf: String, layout: Layout) -> RecordPage {
        var renewals = RecordPage.Section(
            heading: "Renewal invitations due",
            lead: [
                "Live badges expiring within \(withinDays) days (local policy) whose holders have not been invited to renew."
            ])
        renewals.table = .init(
            headers: ["Badge", "Holder", "Expires"],
            rows: due.map {
                .init(cells: [
                    .init(key: "", value: $0.number, href: "\(basePath)/badges/\($0.number)"),
                    .init(key: "", value: $0.holderName), .init(key: "", value: $0.expiry.long),
                ])
            })
        renewals.empty = "No invitations are due."
        if !due.isEmpty, maySend {
            renewals.buttons = [
                .init(
                    action: "\(basePath)/badges/renewals/invite",
                    label: "Send \(due.count) renewal invitation\(due.count == 1 ? "" : "s")",
                    csrf: csrf, secondary: false)
            ]
        }
        return RecordPage(title: "Badges", sections: [renewals], layout: layout)
    }

    // MARK: one badge

    /// A badge's page; `issues` are the cancellation form's, which then shows unfolded.
    static func record(
        _ badge: Badge, today: Day, mayIssue: Bool, issues: [FieldIssue], basePath: String, csrf: String, layout: Layout
    ) -> RecordPage {
        var details = RecordPage.Section(heading: "Badge", lines: lines(badge, today: today))
        if let reference = badge.applicationReference {
            details.lines.append(.init(key: "Application", value: reference, href: "\(basePath)/cases/\(reference)"))
        }
        let base = "\(basePath)/badges/\(badge.number)"
        var sections = [details]
        if mayIssue, badge.status == .ordered {
            sections.append(
                .init(
                    heading: "Issue",
                    lead: ["Record that the badge was printed and sent, or handed over at the council."],
                    buttons: [.init(action: base + "/issued", label: "Record as issued", csrf: csrf, secondary: false)]))
        }
        if mayIssue, badge.isLive(today: today) {
            sections.append(
                .init(heading: "Cancel this badge", form: cancelForm(base: base, csrf: csrf, issues: issues), folded: issues.isEmpty))
        }
        return RecordPage(
            title: "Badge \(badge.number)", caption: "Blue Badge", tag: badge.statusLabel(today: today),
            errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
            sections: sections, layout: layout)
    }

    static func cancelForm(base: String, csrf: String, issues: [FieldIssue]) -> FormModel {
        FormModel(
            action: base + "/cancel", csrf: csrf,
            fields: [
                FormField(
                    name: "reason", label: "Reason", kind: .select,
                    options: [.init(value: "", label: "Choose a reason", selected: true)]
                        + CancelReason.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: false) })
            ], submit: "Cancel the badge"
        ).with(errors: issues)
    }
}
