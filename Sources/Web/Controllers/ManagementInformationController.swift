import Casework
import Foundation
import Hummingbird
import Identity
import Policy

/// Management information for those whose groups allow it: cases by status, the share decided
/// within the processing target, the age of open cases and reviews, as charts with the data
/// tables behind them, and the same figures as CSV.
struct ManagementInformationController: Sendable {
    let identity: IdentityServices
    let cases: CaseService
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("mi", .viewMI, use: dashboard)
        group.get("mi/summary.csv", .viewMI, use: csv)
    }

    @Sendable func dashboard(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let (target, mi) = try await figures(context, user)
        return try pages.render("mi", MIDashboardPage(mi, target: target, in: context))
    }

    @Sendable func csv(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let (target, mi) = try await figures(context, user)
        var csv = CSVExport(header: ["measure", "group", "value"])
        for row in mi.byStatus { csv.append(["applications by status", row.label, String(row.count)]) }
        for row in mi.ageing { csv.append(["open cases by days on the clock", row.label, String(row.count)]) }
        for row in mi.throughputByMonth { csv.append(["decisions per month", row.label, String(row.count)]) }
        for row in mi.throughputByOfficer { csv.append(["decisions per officer (12 months)", row.label, String(row.count)]) }
        for row in mi.exceptions { csv.append(["exception: \(row.what)", row.reference, String(row.days)]) }
        csv.append(["decided", "all", String(mi.decided)])
        csv.append(["decided within \(target) days", "all", String(mi.decidedWithinTarget)])
        csv.append(["reviews open", "all", String(mi.openReviews)])
        csv.append(["reviews overdue", "all", String(mi.overdueReviews)])
        csv.append(["reviews answered", "all", String(mi.reviewsDecided)])
        csv.append(["reviews answered by their due day", "all", String(mi.reviewsDecidedOnTime)])
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"kerb-mi-summary.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: csv.text)))
    }

    /// The figures over the cases this person may see (`Actor.visibleTeams`).
    private func figures(_ context: SignedInRequestContext, _ user: SignedInUser) async throws -> (Int, ManagementInformation) {
        let target = context.user.policy.casework.processingTargetDays
        let mi = try await cases.managementInformation(
            context.tenant.scope, targetDays: target, visibleTeams: Self.visibleTeams(user), logger: context.logger)
        return (target, mi)
    }

    /// Figures are confined as the person's case access is, whichever group grants them.
    static func visibleTeams(_ user: SignedInUser) -> Set<String>? {
        Actor(officer: user.officer, principal: user.principal).visibleTeams(through: [.viewMI, .viewCase])
    }
}
