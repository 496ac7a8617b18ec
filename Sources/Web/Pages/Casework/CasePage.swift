import Casework
import Communications
import Foundation
import KerbCore
import Policy

/// The case page: what the case is and where it stands, the applicant, evidence, decision and
/// review, letters and timeline, with the forms for the steps this person may take next.
struct CasePage: Sendable {
    struct Line: Sendable {
        let key: String
        let value: String
    }

    let reference: String
    let status: String
    let summary: [Line]
    let applicant: [Line]
    let evidence: [Line]
    let timeline: [Line]
    let decision: [Line]
    let base: String
    let csrf: String
    let canAssign: Bool
    let canAssess: Bool
    let decideForm: FormModel?
    let review: [Line]
    let canRequestReview: Bool
    let reviewForm: FormModel?
    let canNote: Bool
    let evidenceForm: FormModel?
    let receivedForm: FormModel?
    let letters: [Line]
    let sections: [RecordPage.Section]
    let errors: FormModel?
    let layout: Layout
}

/// Builds the case page from what the controller read (the case file, the council's casework
/// policy, the clock) for one actor: each form is offered only if the policy engine would let
/// them send it, so the page never shows a step that would be refused.
struct CasePagePresenter {
    let file: CaseFile
    let casework: LocalPolicyDocument.Casework
    let actor: Actor
    /// The case's reference as in the path.
    let reference: String
    let basePath: String
    let csrf: String
    let now: Date

    /// The case's own address; its forms post under it.
    var base: String { "\(basePath)/cases/\(reference)" }
    var team: AccessTarget { AccessTarget(team: file.row.team) }
    var mayEdit: Bool { actor.may(.editCase, team) }

    /// `issues` go to the decision or review form, `badgeIssues` to the sections' forms (badge
    /// order, assignment, representatives) and the error summary.
    func page(issues: [FieldIssue], badgeIssues: [FieldIssue], sections: [RecordPage.Section], layout: Layout) -> CasePage {
        let open = file.row.status.isOpen
        return CasePage(
            reference: reference, status: file.row.status.label, summary: summary, applicant: applicant, evidence: evidence,
            timeline: timeline, decision: decision, base: base, csrf: csrf,
            canAssign: open && mayEdit,
            canAssess: [.received, .awaitingApplicant].contains(file.row.status) && actor.may(.assessCase, team),
            decideForm: decideForm(issues: issues), review: review,
            canRequestReview: file.row.status == .refused && file.decision?.reviewOffered == true && file.review == nil && mayEdit,
            reviewForm: reviewForm, canNote: mayEdit, evidenceForm: evidenceForm, receivedForm: receivedForm, letters: letters,
            sections: sections,
            errors: badgeIssues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: badgeIssues),
            layout: layout)
    }

    // MARK: what the case is

    var summary: [CasePage.Line] {
        [
            .init(key: "Type", value: file.kind.label + (file.replaceReason.map { " (\($0.label.lowercased()))" } ?? "")),
            .init(key: "Eligibility", value: file.row.eligibility.map(\.label) ?? "Not known yet"),
            .init(key: "Route", value: file.row.eligibility.map { $0.isAutomatic ? "Automatic" : "Further assessment" } ?? "—"),
            .init(key: "Arrived", value: file.channel.label),
            .init(key: "Received", value: file.receivedAt.map(Formats.date) ?? "Draft: not yet received"),
            .init(key: "Processing clock", value: clock),
            .init(key: "Assigned to", value: "\(file.assignedName ?? "Unassigned"), team \(file.row.team)"),
            .init(key: "Assessment", value: file.assessment ?? "Not assessed"),
        ]
    }

    /// Days against the council's target, whether the clock is paused, and whether it is late.
    var clock: String {
        let target = casework.processingTargetDays
        return file.elapsedDays(now: now).map {
            "Day \($0) of \(target)"
                + (file.isPaused ? " (paused: waiting for the applicant)" : "")
                + ($0 > target && file.decision == nil ? " — past target" : "")
        } ?? "Not started"
    }

    var applicant: [CasePage.Line] {
        [
            .init(key: "Name", value: file.applicantName + (file.vulnerable ? " (vulnerable)" : "")),
            .init(key: "Date of birth", value: file.dateOfBirth.map(Formats.date) ?? "—"),
            .init(key: "Address", value: "\(file.address), \(file.postcode)"),
        ]
    }

    var evidence: [CasePage.Line] {
        file.evidence.map {
            .init(
                key: $0.kind,
                value: $0.receivedAt.map { "Received \(Formats.date($0))" } ?? $0.requestedAt.map { "Requested \(Formats.date($0))" }
                    ?? "Not yet asked for")
        }
    }

    var timeline: [CasePage.Line] {
        file.events.map {
            .init(key: Formats.dateTime($0.at), value: "\($0.kind) — \($0.actor)\($0.detail.isEmpty ? "" : ": \($0.detail)")")
        }
    }

    var letters: [CasePage.Line] {
        file.letters.map {
            .init(
                key: "\(base)/letters/\($0.id)",
                value:
                    "\(LetterPage.title($0.kind)) (\($0.channel)) to \($0.addressee), \(Formats.dateTime($0.createdAt)): \(LetterPage.status($0))"
            )
        }
    }

    // MARK: the decision and its review

    var decision: [CasePage.Line] {
        guard let decision = file.decision else { return [] }
        return [
            .init(key: "Outcome", value: ApplicationStatus(rawValue: decision.outcome)?.label ?? decision.outcome),
            .init(key: "Decided", value: Formats.dateTime(decision.decidedAt)),
        ]
            + decision.reasons.map { .init(key: "Reason", value: $0.text) }
            + (decision.rationale.isEmpty ? [] : [.init(key: "Rationale", value: decision.rationale)])
            + (decision.outcome == "REFUSED"
                ? [
                    .init(
                        key: "Review",
                        value: decision.reviewOffered ? "Offered in the refusal letter" : "Not offered: automatic route")
                ] : [])
    }

    /// Only for an open case, and not to the person who assessed it (separation of duties).
    func decideForm(issues: [FieldIssue]) -> FormModel? {
        let target = AccessTarget(team: file.row.team, assessedBy: file.row.assessedBy)
        guard file.row.status.isOpen, actor.may(.decideCase, target) else { return nil }
        return FormModel(
            action: "\(base)/decide", csrf: csrf,
            fields: [
                FormField(
                    name: "outcome", label: "Decision", kind: .select,
                    options: [
                        .init(value: "APPROVED", label: "Approve", selected: false),
                        .init(value: "REFUSED", label: "Refuse", selected: false),
                    ])
            ]
                + RefusalReason.allCases.map {
                    FormField.choice(of: "reasons", $0.rawValue, label: $0.text)
                } + [FormField(name: "rationale", label: "Reasons in your own words (required to refuse)")],
            submit: "Record decision"
        ).with(errors: issues)
    }

    var review: [CasePage.Line] {
        guard let review = file.review else { return [] }
        return [
            .init(key: "Requested", value: Formats.date(review.requestedAt)), .init(key: "Answer due by", value: review.dueOn),
            .init(key: "Outcome", value: review.status == "OPEN" ? "Open" : review.status.capitalized),
        ]
            + (review.rationale.map { [.init(key: "Rationale", value: $0)] } ?? [])
    }

    var reviewForm: FormModel? {
        guard file.review?.status == "OPEN", actor.may(.decideCase, team) else { return nil }
        return FormModel(
            action: "\(base)/review/decide", csrf: csrf,
            fields: [
                FormField(
                    name: "review-outcome", label: "Review outcome", kind: .select,
                    options: [
                        .init(value: "UPHELD", label: "Uphold the refusal", selected: false),
                        .init(value: "OVERTURNED", label: "Overturn: approve the application", selected: false),
                    ]),
                FormField(name: "review-rationale", label: "Rationale"),
            ], submit: "Record review outcome")
    }

    // MARK: evidence forms

    /// Lists the items still outstanding by position; the handler reads them back the same way.
    var evidenceForm: FormModel? {
        guard file.row.status.isOpen, mayEdit else { return nil }
        return FormModel(
            action: "\(base)/evidence/request", csrf: csrf,
            fields: file.evidence.filter { $0.receivedAt == nil }.enumerated().map {
                FormField.choice(of: "items", String($0.offset), label: $0.element.kind)
            } + [FormField(name: "other", label: "Anything else (optional)", hint: "For example, a letter from a consultant")],
            submit: casework.pauseClockAwaitingApplicant ? "Ask the applicant (pauses the clock)" : "Ask the applicant")
    }

    /// Lists the items asked for and not yet received, by position.
    var receivedForm: FormModel? {
        let awaited = file.evidence.filter { $0.requestedAt != nil && $0.receivedAt == nil }
        guard file.row.status.isOpen, !awaited.isEmpty, mayEdit else { return nil }
        return FormModel(
            action: "\(base)/evidence/received", csrf: csrf,
            fields: awaited.enumerated().map {
                FormField.choice(of: "items", String($0.offset), label: $0.element.kind)
            }, submit: "Record what has arrived")
    }
}
