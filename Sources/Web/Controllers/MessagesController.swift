import Casework
import Communications
import Foundation
import Hummingbird
import KerbCore
import Notify
import Policy

/// The council's messages, for those who send them: what is waiting, sent and failed; the
/// messages someone has to act on; bulk sends with their progress; and a new bulk send,
/// previewed (count and sample) before it starts.
struct MessagesController: Sendable {
    let deps: WebDependencies
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("messages", .sendCommunications, use: list)
        group.post("messages/bulk/preview", .sendCommunications, use: preview)
        group.post("messages/bulk", .sendCommunications, use: start)
        group.post("messages/bulk/:send/cancel", .sendCommunications, use: cancel)
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let summary = try await OutboxStatus(cases: deps.cases).summary(context.tenant.scope, as: context.actor, logger: context.logger)
        let sends = try await deps.bulkMail.sends(context.tenant.scope, logger: context.logger)
        let notifySetUp = deps.external.notify?.service(context.tenant) != nil
        let page = MessagesPage(context: context, summary: summary, sends: sends, notifySetUp: notifySetUp).page
        return try pages.render("record", page)
    }

    @Sendable func preview(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: BulkSendForm.self, context: context)
        let selection = try form.chosen()
        let preview = try await deps.bulkMail.preview(context.tenant.scope, selection, as: context.actor, logger: context.logger)
        return try pages.render("record", MessagesPage.preview(context: context, selection: selection, preview))
    }

    @Sendable func start(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: BulkSendForm.self, context: context)
        _ = try await deps.bulkMail.start(context.tenant.scope, try form.chosen(), as: context.actor, logger: context.logger)
        return .redirect(to: context.basePath + "/messages")
    }

    @Sendable func cancel(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let id = try context.parameters.require("send", as: UUID.self)
        do {
            try await deps.bulkMail.cancel(context.tenant.scope, id, as: context.actor, logger: context.logger)
        } catch CommunicationsError.noSuchBulkSend {
            throw HTTPError(.notFound)
        }
        return .redirect(to: context.basePath + "/messages")
    }
}

/// The bulk send form: which selection.
struct BulkSendForm: Decodable, Sendable {
    var selection: String

    func chosen() throws -> BulkSelection {
        guard let chosen = BulkSelection(rawValue: selection) else {
            throw CaseworkError.invalid([FieldIssue(field: "selection", message: "Choose who the message goes to")])
        }
        return chosen
    }
}

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
