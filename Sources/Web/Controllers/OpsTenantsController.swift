import Hummingbird
import Identity
import Policy
import Tenancy

/// Supplier operations' home: every council with its band, nation, status and addresses.
/// Read-only on the web (the app's database login may only read the tenant list); onboarding,
/// suspension and resumption are `kerb tenant …` commands, recorded in the control plane.
struct OpsTenantsController: Sendable {
    let tenants: TenantDirectory
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("", .manageTenants, use: list)
    }

    struct TenantsPage: Sendable {
        struct Row: Sendable {
            let name: String
            let slug: String
            let band: String
            let nation: String
            let status: String
            let active: Bool
            let href: String
        }

        let rows: [Row]
        let count: Int
        let layout: Layout
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let rows = try await tenants.all(logger: context.logger).map {
            TenantsPage.Row(
                name: $0.displayName, slug: $0.slug.rawValue, band: $0.band.rawValue, nation: $0.nation.rawValue,
                status: $0.status.rawValue.capitalized, active: $0.isActive, href: "/t/\($0.slug)/")
        }
        return try pages.render("ops-tenants", TenantsPage(rows: rows, count: rows.count, layout: .council(context, current: "/")))
    }
}
