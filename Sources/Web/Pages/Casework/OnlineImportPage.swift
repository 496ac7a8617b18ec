import Casework
import Foundation

/// What an import of GOV.UK online applications did: the cases it took in, the ones a person
/// must look at, and the way on to the unassigned queue where the new cases wait.
enum OnlineImportPage {
    static func message(_ outcome: OnlineApplications.Outcome, basePath: String, layout: Layout) -> MessagePage {
        MessagePage(
            title: outcome.imported.isEmpty
                ? "No new online applications"
                : "\(outcome.imported.count) online application\(outcome.imported.count == 1 ? "" : "s") imported",
            lead: outcome.imported.map { "Imported as \($0)" } + outcome.skipped.map { "Not imported, needs a person to look: \($0)" },
            next: .init(label: "Unassigned cases", href: basePath + "/cases?show=unassigned", current: false),
            layout: layout)
    }
}
