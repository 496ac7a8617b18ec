import Audit
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Unusual behaviour the monitoring rules flagged (`BehaviourFlags`, run by the scheduled pass):
/// open flags for those who read the audit trail, each closed with a note saying what was found.
struct AdminFlagsController: Sendable {
    let identity: IdentityServices
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/flags", .viewAudit, use: list)
        group.post("admin/flags/:flag/close", .viewAudit, use: close)
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context)
    }

    @Sendable func close(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let id = try context.parameters.require("flag", as: UUID.self)
        let form = try await request.decode(as: FlagCloseForm.self, context: context)
        guard !form.note.isEmpty else {
            return try await render(
                context, issues: [FieldIssue(field: "flag-note", message: "Say what you found before closing the flag")])
        }
        try await BehaviourFlags.close(
            id, note: form.note, by: AccessGuard.actor(context.user, context), database: identity.database,
            scope: context.tenant.scope, logger: context.logger)
        return .redirect(to: context.basePath + "/admin/flags")
    }

    private func render(_ context: SignedInRequestContext, issues: [FieldIssue] = []) async throws -> Response {
        let flags = try await BehaviourFlags.list(database: identity.database, scope: context.tenant.scope, logger: context.logger)
        let open = flags.filter { $0.closedAt == nil }
        var sections = open.map { flag in
            var section = RecordPage.Section(
                heading: "\(flag.actor): \(Self.describe(flag.rule))",
                lines: [
                    .init(key: "Hour", value: Formats.dateTime(flag.hour)),
                    .init(key: "Seen", value: "\(flag.observed)" + (flag.threshold > 0 ? " (flagged above \(flag.threshold))" : "")),
                    .init(key: "Raised", value: Formats.dateTime(flag.raisedAt)),
                    .init(
                        key: "What they opened", value: "Records opened by \(flag.actor)",
                        href: context.basePath + "/admin/audit?show=views&audit-who=" + Self.query(flag.actor)),
                ])
            section.form = FormModel(
                action: "\(context.basePath)/admin/flags/\(flag.id.uuidString.lowercased())/close", csrf: context.csrfToken,
                fields: [FormField(name: "flag-note", label: "What you found", hint: "Recorded in the audit trail", value: "")],
                submit: "Close this flag"
            ).with(errors: issues)
            return section
        }
        if open.isEmpty {
            var none = RecordPage.Section(heading: "Open flags")
            none.empty = "Nothing unusual is waiting for review."
            sections.append(none)
        }
        let closed = flags.filter { $0.closedAt != nil }
        if !closed.isEmpty {
            var section = RecordPage.Section(heading: "Recently closed")
            section.table = .init(
                headers: ["Who", "What", "Hour", "Closed", "Note"],
                rows: closed.map { flag in
                    .init(cells: [
                        .init(key: "Who", value: flag.actor), .init(key: "What", value: Self.describe(flag.rule)),
                        .init(key: "Hour", value: Formats.dateTime(flag.hour)),
                        .init(key: "Closed", value: flag.closedAt.map(Formats.dateTime) ?? ""),
                        .init(key: "Note", value: flag.closedNote ?? ""),
                    ])
                })
            sections.append(section)
        }
        return try pages.render(
            "record",
            RecordPage(
                title: "Unusual activity", caption: "\(open.count) open flag\(open.count == 1 ? "" : "s")",
                errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
                sections: sections, layout: .council(context, current: "/admin/flags")),
            status: issues.isEmpty ? .ok : .unprocessableContent)
    }

    static func describe(_ rule: BehaviourFlag.Rule) -> String {
        switch rule {
        case .viewsOverLimit: "opened more records in an hour than local policy allows"
        case .viewsAboveUsual: "opened far more records in an hour than they usually do"
        case .exportOutOfHours: "exported someone's personal data outside working hours"
        }
    }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

/// Closing a flag: what the administrator found.
struct FlagCloseForm: Decodable, Sendable {
    @Trimmed var note: String

    enum CodingKeys: String, CodingKey { case note = "flag-note" }
}
