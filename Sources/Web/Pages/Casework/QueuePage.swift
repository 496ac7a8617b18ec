import Casework
import Foundation

/// A work queue: the tabs (mine, my teams, unassigned, near target, all open), the search box
/// and one row per case, with how far each is along the processing clock.
struct QueuePage: Sendable {
    struct Tab: Sendable {
        let label: String
        let href: String
        let current: Bool
    }

    struct Row: Sendable {
        let reference: String
        let href: String
        let applicant: String
        let kind: String
        let eligibility: String
        let status: String
        let received: String
        let assigned: String
        let days: String
        let late: Bool
    }

    let tabs: [Tab]
    let searchText: String
    let searchAction: String
    let rows: [Row]
    let newHref: String?
    let importAction: String?
    let csrf: String
    let layout: Layout
}

extension QueuePage {
    /// The tabs in the order shown, by their `show` value.
    static let queues = [
        ("mine", "My cases"), ("team", "My teams"), ("unassigned", "Unassigned"), ("due", "Near or past target"), ("open", "All open"),
    ]

    /// Builds the page from the cases found; `show` marks the current tab, `targetDays` is the
    /// council's processing target, against which each case's days are shown and flagged late.
    init(
        show: String, searchText: String, cases: [CaseSummary], targetDays: Int, mayEdit: Bool, basePath: String, csrf: String,
        layout: Layout
    ) {
        let base = basePath + "/cases"
        self.init(
            tabs: Self.queues.map { Tab(label: $0.1, href: "\(base)?show=\($0.0)", current: $0.0 == show) },
            searchText: searchText, searchAction: base,
            rows: cases.map { Self.row($0, base: base, targetDays: targetDays) },
            newHref: mayEdit ? base + "/new" : nil,
            importAction: mayEdit ? base + "/import" : nil, csrf: csrf, layout: layout)
    }

    static func row(_ summary: CaseSummary, base: String, targetDays: Int) -> Row {
        Row(
            reference: summary.reference, href: "\(base)/\(summary.reference)", applicant: summary.applicantName, kind: summary.kind.label,
            eligibility: summary.eligibility?.rawValue ?? "—", status: summary.status.label,
            received: summary.receivedAt.map(Formats.date) ?? "Draft",
            assigned: summary.assignedName ?? "Unassigned", days: summary.elapsedDays.map { "\($0) of \(targetDays)" } ?? "—",
            late: (summary.elapsedDays ?? 0) > targetDays)
    }
}
