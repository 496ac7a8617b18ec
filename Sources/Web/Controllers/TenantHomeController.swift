import Hummingbird
import Identity
import Policy
import Storage
import Tenancy

/// A council's start page: the sign-in start for visitors, the signed-in person's home
/// (what their groups let them do) otherwise. Mounted under its hostname and `/t/<slug>/`.
struct TenantHomeController: Sendable {
    let pages: Pages
    let profiles: ProfileReader

    func addRoutes(to group: DeclaredRoutes) {
        group.get("", .anyone) { request, context in try await home(request, context) }
    }

    struct HomePage: Sendable {
        let name: String
        let groups: [String]
        let sections: [Layout.Link]
        let layout: Layout
    }

    func home(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        if let user = context.user, user.stage == .complete {
            if user.passwordExpired { throw Redirect(to: context.basePath + "/account/password") }
            let layout = Layout.council(context, current: "/")
            return try pages.render(
                "dashboard",
                HomePage(
                    name: user.fullName, groups: user.principal.groups.map(\.name), sections: Array(layout.nav.dropFirst()), layout: layout)
            )
        }
        let tenant = context.tenant
        let profile = try await profiles.profile(of: tenant)
        return try pages.render(
            "tenant-home",
            TenantHomePage(
                authorityName: profile.displayName, nation: profile.nation, status: tenant.status == .active ? "Open" : "Suspended",
                signInHref: context.basePath + "/sign-in", layout: .council(context)))
    }
}
