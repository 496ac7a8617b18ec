import Hummingbird
import Storage
import Tenancy

/// A council's own pages. Mounted twice, under its hostname and under `/t/<slug>/`.
struct TenantHomeController: Sendable {
    let pages: Pages
    let profiles: ProfileReader

    func addRoutes(to group: RouterGroup<TenantRequestContext>) {
        group.get { request, context in try await home(request, context) }
    }

    func home(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let profile = try await profiles.profile(of: tenant)
        return try pages.render(
            "tenant-home",
            TenantHomePage(
                authorityName: profile.displayName, nation: profile.nation, band: profile.band,
                status: tenant.status == .active ? "Open" : "Suspended",
                signInOpen: false, homeHref: context.basePath + "/", requestID: context.id))
    }
}
