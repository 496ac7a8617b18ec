import Casework
import Foundation

/// The Reports page (`mi`): headline figures, a chart and its table per breakdown (the table is
/// the accessible equivalent of the chart), and the cases that need attention.
struct MIDashboardPage: Sendable {
    struct Chart: Sendable {
        struct Row: Sendable {
            let label: String
            let count: Int
        }

        let title: String
        let image: String
        let alt: String
        let rows: [Row]
    }

    struct Exception: Sendable {
        let reference: String
        let href: String
        let what: String
        let days: Int
    }

    let target: Int
    let withinTarget: String
    let decided: Int
    let openReviews: Int
    let overdueReviews: Int
    let reviewsOnTime: String
    let charts: [Chart]
    let exceptions: [Exception]
    let csvHref: String
    let layout: Layout
}

extension MIDashboardPage {
    init(_ mi: ManagementInformation, target: Int, in context: some CouncilRequestContext) {
        let charts = [
            ("Applications by status", mi.byStatus), ("Open cases by days on the clock", mi.ageing),
            ("Decisions per month", mi.throughputByMonth),
            ("Decisions and review outcomes per officer, last 12 months", mi.throughputByOfficer),
        ].map { title, buckets in
            let bars = buckets.map { (label: $0.label, value: $0.count) }
            return Chart(
                title: title, image: BarChart.dataURI(bars), alt: BarChart.altText(title, bars),
                rows: buckets.map { Chart.Row(label: $0.label, count: $0.count) })
        }
        self.init(
            target: target, withinTarget: mi.withinTargetPercent.map { String(format: "%.0f%%", $0) } ?? "No decisions yet",
            decided: mi.decided, openReviews: mi.openReviews, overdueReviews: mi.overdueReviews,
            reviewsOnTime: mi.reviewsDecided == 0
                ? "No reviews answered yet" : "\(mi.reviewsDecidedOnTime) of \(mi.reviewsDecided) answered by their due day",
            charts: charts,
            exceptions: mi.exceptions.map {
                Exception(reference: $0.reference, href: "\(context.basePath)/cases/\($0.reference)", what: $0.what, days: $0.days)
            },
            csvHref: context.basePath + "/mi/summary.csv", layout: .council(context, current: "/mi"))
    }
}
