import Backups
import Foundation
import Hummingbird
import Identity
import Policy
import Tenancy

/// Supplier operations' home: every council with its band, nation, status and addresses.
/// Read-only on the web (the app's database login may only read the tenant list); onboarding,
/// suspension and resumption are `kerb tenant …` commands, recorded in the control plane.
struct OpsTenantsController: Sendable {
    let tenants: TenantDirectory
    let backups: BackupEvidence
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
            /// When its last verified backup was checked, and how long ago.
            let backup: String
            let backupOverdue: Bool
        }

        struct Overdue: Sendable {
            let count: Int
            let one: Bool
            let names: String
        }

        let rows: [Row]
        let count: Int
        let overdue: Overdue
        let layout: Layout
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let now = Date()
        let board = Dictionary(
            try await backups.board(logger: context.logger).map { ($0.slug, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = try await tenants.all(logger: context.logger).map { tenant in
            let status = board[tenant.slug.rawValue]
            return TenantsPage.Row(
                name: tenant.displayName, slug: tenant.slug.rawValue, band: tenant.band.rawValue, nation: tenant.nation.rawValue,
                status: tenant.status.rawValue.capitalized, active: tenant.isActive, href: "/t/\(tenant.slug)/",
                backup: Self.describe(status, now: now), backupOverdue: status?.isOverdue(now: now) ?? true)
        }
        let overdue = rows.filter(\.backupOverdue)
        return try pages.render(
            "ops-tenants",
            TenantsPage(
                rows: rows, count: rows.count,
                overdue: .init(count: overdue.count, one: overdue.count == 1, names: overdue.map(\.name).joined(separator: ", ")),
                layout: .council(context, current: "/")))
    }

    /// "2 December 2026 03:12 (5 hours ago)", or why there is none.
    static func describe(_ status: BackupEvidence.Status?, now: Date) -> String {
        guard let status else { return "None" }
        guard let verified = status.lastVerifiedAt else { return status.lastBackupAt == nil ? "None" : "Never verified" }
        let hours = Int(now.timeIntervalSince(verified) / 3_600)
        let age = hours < 1 ? "within the hour" : hours < 48 ? "\(hours) hour\(hours == 1 ? "" : "s") ago" : "\(hours / 24) days ago"
        return Formats.dateTime(verified) + " (" + age + ")" + (status.lastPassed == false ? "; the last check failed" : "")
    }
}
