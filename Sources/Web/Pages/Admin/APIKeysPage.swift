import Identity
import KerbCore

extension RecordPage {
    /// The API keys page: the council's keys (never their secrets) with a revoke button for
    /// each live one, and the form for a new key.
    static func apiKeys(
        _ keys: [APIKeyService.Key], form: APIKeyForm?, issues: [FieldIssue], in context: some CouncilRequestContext
    ) -> RecordPage {
        let base = context.basePath + "/admin/api-keys"
        var list = Section(
            heading: "Keys",
            lead: ["Each key acts for one integration, with only the permissions it is given; its steps show under its name."])
        list.table = .init(
            headers: ["Integration", "Key starts", "Permissions", "Last used", "Status"],
            rows: keys.map { key in
                .init(cells: [
                    .init(key: "", value: key.name), .init(key: "", value: "kerb_\(key.prefix)_…"),
                    .init(key: "", value: key.permissions.map(\.label).joined(separator: ", ")),
                    .init(key: "", value: key.lastUsedAt.map(Formats.dateTime) ?? "Never"),
                    .init(key: "", value: key.revokedAt.map { "Revoked \(Formats.date($0))" } ?? "Live"),
                ])
            })
        list.empty = "No API keys yet."
        list.buttons = keys.filter { $0.revokedAt == nil }.map {
            .init(action: "\(base)/\($0.id)/revoke", label: "Revoke \($0.name) (kerb_\($0.prefix)_…)", csrf: context.csrfToken)
        }
        let fields =
            [FormField(name: "name", label: "Integration", hint: "For example, Customer portal", value: form?.name ?? "")]
            + APIKeyService.grantable.map {
                FormField.choice(of: "permissions", $0.rawValue, label: $0.label, checked: form?.grants($0) ?? false)
            }
        let create = Section(
            heading: "New key",
            form: FormModel(action: base, csrf: context.csrfToken, fields: fields, submit: "Create key").with(errors: issues))
        return RecordPage(
            title: "API keys",
            links: [.init(label: "The API's description (OpenAPI)", href: context.basePath + "/api/v1/openapi.yaml", current: false)],
            errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
            sections: [list, create], layout: .council(context, current: "/admin/api-keys"))
    }
}
