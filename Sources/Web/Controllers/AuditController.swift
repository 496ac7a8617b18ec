import Audit
import Hummingbird
import Identity
import Policy

/// The council's audit trail for those allowed to read it, with the hash chain checked on
/// every view, so tampering shows up where auditors look.
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

        let rows: [Row]
        let intact: Bool
        let brokenAt: Int64?
        let deniedOnly: Bool
        let allHref: String
        let deniedHref: String
        let layout: Layout
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let deniedOnly = request.uri.queryParameters.get("show") == "denied"
        let scope = context.tenant.scope
        let entries = try await AuditLog.recent(database: identity.database, scope: scope, deniedOnly: deniedOnly, logger: context.logger)
        let broken = try await AuditLog.firstBrokenEntry(database: identity.database, scope: scope, logger: context.logger)
        return try pages.render(
            "audit",
            AuditPage(
                rows: entries.map {
                    AuditPage.Row(
                        seq: $0.seq, at: Formats.dateTime($0.at), actor: $0.event.actor, action: $0.event.action, target: $0.event.target,
                        detail: $0.event.detail, denied: $0.event.outcome == .denied)
                },
                intact: broken == nil, brokenAt: broken, deniedOnly: deniedOnly, allHref: context.basePath + "/admin/audit",
                deniedHref: context.basePath + "/admin/audit?show=denied", layout: .council(context, current: "/admin/audit")))
    }
}
