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
        let keys = try await keys.list(context.tenant.scope, logger: context.logger)
        return try pages.render(
            "record", RecordPage.apiKeys(keys, form: form, issues: issues, in: context),
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
