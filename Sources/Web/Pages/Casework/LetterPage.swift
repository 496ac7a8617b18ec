import Casework
import Communications
import Foundation

/// A letter exactly as recorded on the case, laid out for printing, with a way back to the case.
struct LetterPage: Sendable {
    let title: String
    let reference: String
    let body: [String]
    let backHref: String
    let layout: Layout
}

extension LetterPage {
    init(_ letter: CaseFile.Letter, reference: String, basePath: String, layout: Layout) {
        self.init(
            title: Self.title(letter.kind), reference: reference, body: letter.body.components(separatedBy: "\n"),
            backHref: "\(basePath)/cases/\(reference)", layout: layout)
    }

    /// A letter's title by its recorded kind (a kind no longer known shows as recorded).
    static func title(_ kind: String) -> String { LetterKind(rawValue: kind)?.title ?? kind }
}
