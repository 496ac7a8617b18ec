import Casework
import Communications
import Foundation
import Notify

/// A message exactly as recorded on the case (a letter laid out for printing, with its address
/// block, date and heading; an email or text message with its recipient), where it has got to,
/// and a way back to the case.
struct LetterPage: Sendable {
    let title: String
    let reference: String
    let status: String
    let body: [String]
    let backHref: String
    /// Printed large (RNIB's clear print guidance: 16 point and up), for a reader who asks for it.
    let largePrint: Bool
    /// The same letter the other way: large print from standard, standard from large.
    let otherPrintHref: String
    let layout: Layout
}

extension LetterPage {
    init(_ letter: CaseFile.Letter, reference: String, basePath: String, largePrint: Bool = false, layout: Layout) {
        let channel = NotifyChannel(rawValue: letter.channel) ?? .letter
        let heading =
            channel == .letter
            ? letter.recipient.components(separatedBy: "\n") + ["", Formats.date(letter.createdAt), ""]
            : ["To: \(letter.recipient)", ""]
        let subject = letter.subject.isEmpty ? [] : [letter.subject, ""]
        self.init(
            title: Self.title(letter.kind), reference: reference, status: Self.status(letter),
            body: heading + subject + letter.body.components(separatedBy: "\n"), backHref: "\(basePath)/cases/\(reference)",
            largePrint: largePrint,
            otherPrintHref: "\(basePath)/cases/\(reference)/letters/\(letter.id.uuidString.lowercased())"
                + (largePrint ? "" : "?print=large"),
            layout: layout)
    }

    /// A message's title by its recorded kind (a kind no longer known shows as recorded).
    static func title(_ kind: String) -> String { MessageKind(rawValue: kind)?.title ?? kind }

    /// Where the message has got to, in words.
    static func status(_ letter: CaseFile.Letter) -> String {
        let channel = (NotifyChannel(rawValue: letter.channel) ?? .letter).label
        switch letter.state {
        case "queued", "sending": return "Waiting to be sent by \(channel)"
        case "sent": return "Sent by \(channel) through GOV.UK Notify"
        case "delivered": return "Delivered by \(channel)"
        case "failed": return "Not delivered: \(letter.lastError ?? "GOV.UK Notify could not deliver it")"
        case "held": return letter.lastError ?? "Waiting for someone to print and post it"
        case "cancelled": return "Cancelled before it was sent"
        default: return "Recorded on the case"
        }
    }
}
