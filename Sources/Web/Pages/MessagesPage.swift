import Casework
import Communications
import Foundation
import KerbCore
import Notify

/// The messages page and the bulk send preview, laid out by the `record` template.
struct MessagesPage {
    let context: SignedInRequestContext
    let summary: OutboxStatus.Summary
    let sends: [BulkMail.Progress]
    let notifySetUp: Bool

    var page: RecordPage {
        var overview = RecordPage.Section(
            heading: "Outbox",
            lead: notifySetUp
                ? [
                    "Messages go through GOV.UK Notify within seconds of the step that causes them; delivery is read back every half minute."
                ]
                : ["GOV.UK Notify is not set up for your council yet: messages wait in the outbox until it is. Ask your supplier."],
            lines: [
                ("queued", "Waiting to be sent"), ("sending", "Being sent"), ("sent", "Sent, delivery not yet known"),
                ("delivered", "Delivered"), ("failed", "Failed"), ("held", "Held for printing"), ("cancelled", "Cancelled"),
            ].map { RecordPage.Line(key: $0.1, value: "\(summary.counts[$0.0, default: 0])") })
        overview.folded = false
        var act = RecordPage.Section(heading: "To act on")
        if summary.toActOn.isEmpty {
            act.table = .init(headers: ["Message"], rows: [])
            act.empty = "No message has failed or is waiting to be printed."
        } else {
            act.table = .init(
                headers: ["Message", "To", "Why", "When"],
                rows: summary.toActOn.map { entry in
                    .init(cells: [
                        .init(
                            key: "Message", value: "\(LetterPage.title(entry.kind)) (\(entry.channel))",
                            href: entry.caseReference.map { "\(context.basePath)/cases/\($0)/letters/\(entry.id.uuidString.lowercased())" }),
                        .init(key: "To", value: entry.addressee), .init(key: "Why", value: entry.reason ?? ""),
                        .init(key: "When", value: Formats.dateTime(entry.createdAt)),
                    ])
                })
        }
        var bulk = RecordPage.Section(heading: "Bulk sends")
        if sends.isEmpty {
            bulk.table = .init(headers: ["Who to"], rows: [])
            bulk.empty = "No bulk send yet."
        } else {
            bulk.table = .init(
                headers: ["Who to", "Progress", "Started"],
                rows: sends.map { send in
                    .init(cells: [
                        .init(key: "Who to", value: BulkSelection(rawValue: send.selection)?.title ?? send.selection),
                        .init(
                            key: "Progress", value: Self.progress(send),
                            progress: .init(value: send.sent, max: max(send.total, 1), label: "Sent so far")),
                        .init(key: "Started", value: "\(send.startedBy ?? "Someone"), \(Formats.dateTime(send.startedAt))"),
                    ])
                })
            bulk.buttons = sends.filter { ["enqueuing", "sending"].contains($0.state) }.map { send in
                RecordPage.Button(
                    action: "\(context.basePath)/messages/bulk/\(send.id.uuidString.lowercased())/cancel",
                    label: "Cancel the send started \(Formats.dateTime(send.startedAt))", csrf: context.csrfToken)
            }
        }
        var new = RecordPage.Section(heading: "Send to many")
        new.form = FormModel(
            action: context.basePath + "/messages/bulk/preview", csrf: context.csrfToken,
            fields: [
                FormField(
                    name: "selection", label: "Who to send to", kind: .select,
                    options: BulkSelection.allCases.map {
                        .init(value: $0.rawValue, label: "\($0.title): \($0.kind.title.lowercased())", selected: false)
                    })
            ], submit: "Preview")
        return RecordPage(
            title: "Messages", sections: [overview, act, bulk, new], layout: .council(context, current: "/messages"))
    }

    /// A send's progress in words: written, sent, failed, of its total.
    static func progress(_ send: BulkMail.Progress) -> String {
        let state =
            switch send.state {
            case "enqueuing": "Preparing"
            case "sending": "Sending"
            case "cancelled": "Cancelled"
            default: send.state.capitalized
            }
        let percent = send.total == 0 ? 100 : send.sent * 100 / send.total
        return "\(state): \(send.sent) of \(send.total) sent (\(percent)%), \(send.written) prepared, \(send.failed) to act on"
            + (send.cancelled > 0 ? ", \(send.cancelled) cancelled" : "")
    }

    static func preview(context: SignedInRequestContext, selection: BulkSelection, _ preview: BulkMail.Preview) -> RecordPage {
        var confirm = RecordPage.Section(
            heading: "\(preview.count) \(preview.count == 1 ? "person" : "people")",
            lead: [
                "\(selection.title): each gets one \(selection.kind.title.lowercased()) by their preferred way, as below. Sending is within GOV.UK Notify's limits, can be cancelled, and resumes by itself if Kerb restarts."
            ])
        confirm.form = FormModel(
            action: context.basePath + "/messages/bulk", csrf: context.csrfToken,
            fields: [FormField(name: "selection", label: "", value: selection.rawValue, kind: .hidden)],
            submit: "Send to \(preview.count) \(preview.count == 1 ? "person" : "people")")
        let samples = preview.samples.map { sample in
            RecordPage.Section(
                heading: "Example: \(sample.addressee) (\(sample.channel.label))",
                lead: (sample.subject.isEmpty ? [] : [sample.subject]) + sample.body.components(separatedBy: "\n\n"))
        }
        return RecordPage(
            title: "Send to many", caption: selection.title,
            links: [.init(label: "Back to messages", href: context.basePath + "/messages", current: false)],
            sections: [confirm] + samples, layout: .council(context, current: "/messages"))
    }
}
