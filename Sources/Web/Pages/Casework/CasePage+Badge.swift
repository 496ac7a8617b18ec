import Casework
import Foundation
import KerbCore
import Policy

/// What the fee and badge sections of a case page show, read once the case is approved (or has
/// a badge): the badge plan for `today` and the fee payments asked for.
struct CaseBadgeData: Sendable {
    let plan: BadgeService.Plan
    /// Empty when there is no fee.
    let payments: [FeePayments.Record]
    let today: Day
}

/// The case page's fee and badge sections, with the actions this person may take: ask for the
/// fee and check it, then order the badge (or see the one ordered).
extension CasePagePresenter {
    func badgeSections(_ data: CaseBadgeData?, issues: [FieldIssue]) -> [RecordPage.Section] {
        guard let data else { return [] }
        return [feeSection(data), badgeSection(data, issues: issues)].compactMap { $0 }
    }

    func feeSection(_ data: CaseBadgeData) -> RecordPage.Section? {
        let plan = data.plan
        guard plan.feePence > 0 else { return nil }
        var section = RecordPage.Section(heading: "Fee")
        section.lines =
            [.init(key: "Fee", value: Formats.pounds(plan.feePence) + (plan.feePaid ? " — paid" : " — not paid yet"))]
            + data.payments.map {
                .init(
                    key: Formats.dateTime($0.createdAt),
                    value: "\($0.provider == "NATIONAL" ? "Paid online with the application" : "GOV.UK Pay") \($0.reference): "
                        + Self.paymentStatus($0), href: $0.isFinished ? nil : $0.nextURL)
            }
        if !plan.feePaid, actor.may(.takePayments, team) {
            section.buttons.append(.init(action: base + "/payment", label: "Ask for the fee (GOV.UK Pay)", csrf: csrf))
            if data.payments.contains(where: { !$0.isFinished && $0.provider == "GOVUKPAY" }) {
                section.buttons.append(.init(action: base + "/payment/check", label: "Check payment", csrf: csrf))
            }
        }
        return section
    }

    /// The badge itself, an order whose answer was lost, the order form, or why it must wait.
    func badgeSection(_ data: CaseBadgeData, issues: [FieldIssue]) -> RecordPage.Section? {
        let plan = data.plan
        var section = RecordPage.Section(heading: "Badge")
        if let badge = plan.badge {
            section.lines = BadgePages.lines(badge, today: data.today, href: "\(basePath)/badges/\(badge.number)")
        } else if let since = plan.orderInFlightSince {
            section.lead = [
                "An order was sent to the national register at \(Formats.dateTime(since)) and its answer was not recorded. "
                    + "Check the register for reference \(reference) before ordering again."
            ]
        } else if plan.canIssue, actor.may(.issueBadge, team) {
            if let old = plan.existingBadge, plan.kind == .replace {
                section.lead = ["Replaces badge \(old.number). The new badge keeps its expiry date, \(old.expiry.long)."]
            }
            section.form = orderForm(plan).with(errors: issues)
        } else if plan.feePence > 0, !plan.feePaid {
            section.lead = ["The badge can be ordered once the fee is paid."]
        } else {
            return nil
        }
        return section
    }

    func orderForm(_ plan: BadgeService.Plan) -> FormModel {
        FormModel(
            action: base + "/badge", csrf: csrf,
            fields: [
                FormField(name: "start", label: "Start date", hint: "YYYY-MM-DD, today or later", value: plan.start.iso),
                plan.expiryFixed
                    ? FormField(name: "expiry", label: "Expiry date (kept from the old badge)", value: plan.expiry.iso, kind: .hidden)
                    : FormField(
                        name: "expiry", label: "Expiry date",
                        hint: "YYYY-MM-DD; at most 3 years, and the council allows until \(plan.latestExpiry.long)",
                        value: plan.expiry.iso),
                FormField(
                    name: "deliver-to", label: "Deliver to", kind: .select,
                    options: [
                        .init(value: "HOME", label: "The holder's home", selected: plan.deliverTo == .home),
                        .init(value: "COUNCIL", label: "The council, for collection", selected: plan.deliverTo == .council),
                    ]),
                FormField(
                    name: "delivery-option", label: "Delivery", kind: .select,
                    options: [
                        .init(value: "STAND", label: "Standard", selected: true),
                        .init(value: "FAST", label: "Fast track (home delivery only)", selected: false),
                    ]),
            ], submit: "Order the badge")
    }

    static func paymentStatus(_ record: FeePayments.Record) -> String {
        switch record.status {
        case "success": "paid"
        case "failed": "failed" + (record.failureCode.map { " (\($0))" } ?? "")
        case "cancelled", "error": record.status
        default: "waiting for the applicant to pay"
        }
    }
}
