import Audit
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// The council's audit trail for those allowed to read it, with the hash chain checked on
/// every view, so tampering shows up where auditors look; and the log of who opened which
/// record, from where (`show=views`), under the same filters.
struct AuditController: Sendable {
    let identity: IdentityServices
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/audit", .viewAudit, use: list)
    }

    struct AuditPage: Sendable {
        struct Row: Sendable {
            let seq: Int64
            let at: String
            let actor: String
            let action: String
            let target: String
            let detail: String
            let denied: Bool
        }

        /// A record someone opened (`show=views`).
        struct ViewRow: Sendable {
            let at: String
            let actor: String
            let opened: String
            let record: String
            let client: String
        }

        let rows: [Row]
        let viewRows: [ViewRow]
        let viewsOnly: Bool
        let viewsHref: String
        let intact: Bool
        let brokenAt: Int64?
        let deniedOnly: Bool
        let allHref: String
        let deniedHref: String
        let action: String
        let fields: [FormField]
        let errors: FormModel?
        let filtered: Bool
        let layout: Layout
    }

    /// The filter form's fields, as GET parameters.
    static let filterFields = [
        ("audit-who", "Who acted (part of their name)"), ("audit-record", "Record (a reference, badge number or person's id)"),
        ("audit-from", "From (YYYY-MM-DD)"), ("audit-to", "To (YYYY-MM-DD)"),
    ]

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let deniedOnly = query.get("show") == "denied"
        let viewsOnly = query.get("show") == "views"
        var values: [String: String] = [:]
        var issues: [FieldIssue] = []
        for (name, label) in Self.filterFields {
            let value = (query.get(name) ?? "").trimmingCharacters(in: .whitespaces)
            values[name] = value
            if value.unicodeScalars.count > FieldLimits.form(name) {
                issues.append(FieldIssue(field: name, message: "\(label) must be \(FieldLimits.form(name)) characters or fewer"))
            }
        }
        let from = Self.day(values["audit-from"] ?? "", field: "audit-from", into: &issues)
        let to = Self.day(values["audit-to"] ?? "", field: "audit-to", into: &issues)
        let filter = AuditLog.Filter(
            deniedOnly: deniedOnly, actor: values["audit-who"], record: values["audit-record"], from: from,
            before: to.map { $0.addingTimeInterval(86_400) })
        let scope = context.tenant.scope
        let run = issues.isEmpty
        let entries =
            run && !viewsOnly ? try await AuditLog.search(database: identity.database, scope: scope, filter, logger: context.logger) : []
        let views =
            run && viewsOnly ? try await ViewLog.search(database: identity.database, scope: scope, filter, logger: context.logger) : []
        let broken = try await AuditLog.firstBrokenEntry(database: identity.database, scope: scope, logger: context.logger)
        let fields = Self.filterFields.map { name, label in
            var field = FormField(name: name, label: label, value: values[name] ?? "")
            field.setError(issues.first { $0.field == name }?.message)
            return field
        }
        return try pages.render(
            "audit",
            AuditPage(
                rows: entries.map {
                    AuditPage.Row(
                        seq: $0.seq, at: Formats.dateTime($0.at), actor: $0.event.actor, action: $0.event.action, target: $0.event.target,
                        detail: $0.event.detail, denied: $0.event.outcome == .denied)
                },
                viewRows: views.map {
                    AuditPage.ViewRow(
                        at: Formats.dateTime($0.at), actor: $0.viewer.actor, opened: $0.view.kind.rawValue, record: $0.view.record,
                        client: $0.viewer.client)
                },
                viewsOnly: viewsOnly, viewsHref: context.basePath + "/admin/audit?show=views",
                intact: broken == nil, brokenAt: broken, deniedOnly: deniedOnly, allHref: context.basePath + "/admin/audit",
                deniedHref: context.basePath + "/admin/audit?show=denied", action: context.basePath + "/admin/audit", fields: fields,
                errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
                filtered: filter != AuditLog.Filter(deniedOnly: deniedOnly), layout: .council(context, current: "/admin/audit")),
            status: issues.isEmpty ? .ok : .unprocessableContent)
    }

    /// A day as the filter takes it (`YYYY-MM-DD`, the council's local midnight), or nil if
    /// empty; a malformed one is reported against its field.
    static func day(_ text: String, field: String, into issues: inout [FieldIssue]) -> Date? {
        guard !text.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/London") ?? .gmt
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        guard text.count == 10, let date = formatter.date(from: text) else {
            issues.append(FieldIssue(field: field, message: "Enter the day as YYYY-MM-DD, for example 2026-12-01"))
            return nil
        }
        return date
    }
}
