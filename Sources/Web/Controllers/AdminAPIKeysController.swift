import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// API keys for the council's integrations: the live and revoked keys with their permissions and
/// last use, creating one (shown once), and revoking one. For user administrators.
struct AdminAPIKeysController: Sendable {
    let keys: APIKeyService
    let access: AccessGuard
    let pages: Pages
    let clock: WallClock

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/api-keys", .manageUsers, use: list)
        group.post("admin/api-keys", .manageUsers, use: create)
        group.post("admin/api-keys/:key/revoke", .manageUsers, use: revoke)
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        return try await render(context)
    }

    private func render(_ context: SignedInRequestContext, form: APIKeyForm? = nil, issues: [FieldIssue] = []) async throws -> Response {
        let all = try await keys.list(context.tenant.scope, logger: context.logger)
        let base = context.basePath + "/admin/api-keys"
        var list = RecordPage.Section(
            heading: "Keys",
            lead: ["Each key acts for one integration, with only the permissions it is given; its steps show under its name."])
        list.table = .init(
            headers: ["Integration", "Key starts", "Permissions", "Last used", "Status"],
            rows: all.map { key in
                .init(cells: [
                    .init(key: "", value: key.name), .init(key: "", value: "kerb_\(key.prefix)_…"),
                    .init(key: "", value: key.permissions.map(AdminGroupsController.describe).joined(separator: ", ")),
                    .init(key: "", value: key.lastUsedAt.map(Formats.dateTime) ?? "Never"),
                    .init(key: "", value: key.revokedAt.map { "Revoked \(Formats.date($0))" } ?? "Live"),
                ])
            })
        list.empty = "No API keys yet."
        list.buttons = all.filter { $0.revokedAt == nil }.map {
            .init(action: "\(base)/\($0.id)/revoke", label: "Revoke \($0.name) (kerb_\($0.prefix)_…)", csrf: context.csrfToken)
        }
        let create = RecordPage.Section(
            heading: "New key",
            form: FormModel(
                action: base, csrf: context.csrfToken,
                fields: [
                    FormField(name: "name", label: "Integration", hint: "For example, Customer portal", value: form?.name ?? "")
                ]
                    + APIKeyService.grantable.map {
                        FormField.choice(
                            of: "permissions", $0.rawValue, label: AdminGroupsController.describe($0), checked: form?.grants($0) ?? false)
                    }, submit: "Create key"
            ).with(errors: issues))
        return try pages.render(
            "record",
            RecordPage(
                title: "API keys",
                links: [.init(label: "The API's description (OpenAPI)", href: context.basePath + "/api/v1/openapi.yaml", current: false)],
                errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
                sections: [list, create], layout: .council(context, current: "/admin/api-keys")),
            status: issues.isEmpty ? .ok : .unprocessableContent)
    }

    @Sendable func create(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let form = try await request.decode(as: APIKeyForm.self, context: context)
        let permissions = Set(APIKeyService.grantable.filter(form.grants))
        do {
            let (_, key) = try await keys.create(
                context.tenant.scope, name: form.name, permissions: permissions, by: AccessGuard.actor(user, context), now: clock.now(),
                logger: context.logger)
            return try pages.render(
                "message",
                MessagePage(
                    title: "API key created",
                    lead: [
                        "Copy the key now and give it to the integration's owner: Kerb keeps only a fingerprint and cannot show it again."
                    ],
                    secrets: [key], next: .init(label: "Back to API keys", href: context.basePath + "/admin/api-keys", current: false),
                    layout: .council(context, current: "/admin/api-keys")))
        } catch IdentityError.invalid(let issues) {
            return try await render(context, form: form, issues: issues)
        }
    }

    @Sendable func revoke(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try context.parameters.require("key", as: UUID.self)
        try await keys.revoke(context.tenant.scope, id: id, by: AccessGuard.actor(user, context), now: clock.now(), logger: context.logger)
        return .redirect(to: context.basePath + "/admin/api-keys")
    }
}
