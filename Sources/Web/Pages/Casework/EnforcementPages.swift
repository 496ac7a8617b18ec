import Casework
import Enforcement
import Foundation
import KerbCore
import Policy

/// The enforcement pages: the list of misuse reports, the report form, and one case's page
/// (the report, the council's badge if the number is one, evidence, taking it on, closing it
/// with an outcome, and its timeline).
enum EnforcementPages {
    // MARK: the list

    /// Open reports, or all of them when `all`, with the links to report and to switch lists.
    static func index(_ rows: [EnforcementService.Summary], all: Bool, basePath: String, layout: Layout) -> RecordPage {
        let base = basePath + "/enforcement"
        var list = RecordPage.Section(heading: all ? "All reports" : "Open reports")
        list.table = .init(
            headers: ["Reference", "Badge", "Where", "Seen", "Status"],
            rows: rows.map {
                .init(cells: [
                    .init(key: "", value: $0.reference, href: "\(base)/\($0.reference)"), .init(key: "", value: $0.reportedBadge),
                    .init(key: "", value: $0.location), .init(key: "", value: Formats.dateTime($0.reportedAt)),
                    .init(key: "", value: $0.outcome?.label ?? $0.status.label),
                ])
            })
        list.empty = "No reports."
        return RecordPage(
            title: "Enforcement",
            links: [
                .init(label: "Report misuse of a badge", href: base + "/new", current: false),
                all
                    ? .init(label: "Show open reports only", href: base, current: false)
                    : .init(label: "Show all reports, including closed", href: base + "?show=all", current: false),
            ], sections: [list], layout: layout)
    }

    // MARK: a new report

    /// The report form, filled in again from `form` when it comes back with issues.
    static func reportForm(_ form: MisuseReportForm?, basePath: String, csrf: String) -> FormModel {
        FormModel(
            action: basePath + "/enforcement/new", csrf: csrf,
            fields: [
                FormField(
                    name: "badge-number", label: "Badge number as seen", hint: "6 characters, or 'unreadable'",
                    value: form?.badgeNumber ?? ""
                ),
                FormField(name: "location", label: "Where it was seen", hint: "Street, car park or bay", value: form?.location ?? ""),
                FormField(name: "vehicle-registration", label: "Vehicle registration (optional)", value: form?.vehicleRegistration ?? ""),
                FormField(name: "observation", label: "What was seen", value: form?.observation ?? ""),
                FormField(
                    name: "reported-by", label: "Reported by", hint: "Officer's name and number, or 'member of the public'",
                    value: form?.reportedBy ?? ""),
            ], submit: "Open an enforcement case")
    }

    // MARK: one case

    /// A case's page; `issues` about the evidence go to the evidence form, the rest to closing.
    static func record(
        _ file: EnforcementCase, reference: String, today: Day, issues: [FieldIssue], documentPolicy: LocalPolicyDocument.Documents,
        basePath: String, csrf: String, layout: Layout
    ) -> RecordPage {
        let base = "\(basePath)/enforcement/\(reference)"
        var sections = [
            report(file), councilBadge(file, today: today, basePath: basePath), evidence(file, base: base, csrf: csrf, issues: issues),
            documents(file, base: base, csrf: csrf, policy: documentPolicy, issues: issues),
        ]
        if file.status == .open {
            sections.append(
                .init(heading: "Investigate", buttons: [.init(action: base + "/investigate", label: "Take on this case", csrf: csrf)]))
        }
        if file.status != .closed {
            sections.append(.init(heading: "Close with an outcome", form: closeForm(base: base, csrf: csrf, issues: issues)))
        }
        sections.append(
            .init(
                heading: "Timeline",
                lines: file.events.map { .init(key: Formats.dateTime($0.at), value: "\($0.kind) — \($0.actor): \($0.detail)") }))
        return RecordPage(
            title: reference, caption: "Enforcement case", tag: file.outcome?.label ?? file.status.label,
            errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
            sections: sections, layout: layout)
    }

    /// Photographs and files: each a download (every opening logged), and the upload form.
    static func documents(
        _ file: EnforcementCase, base: String, csrf: String, policy: LocalPolicyDocument.Documents, issues: [FieldIssue]
    ) -> RecordPage.Section {
        var section = RecordPage.Section(heading: "Photographs and files")
        if file.documents.isEmpty {
            section.lead = ["No photographs or files have been added to this case."]
        } else {
            section.table = CasePagePresenter.documentTable(file.documents, base: base)
        }
        if file.status != .closed {
            var form = CasePagePresenter.uploadForm(policy, action: base + "/documents", csrf: csrf, classes: EnforcementDocuments.classes)
            form = form.with(errors: issues.filter { $0.field == "file" || $0.field == "class" })
            section.form = form
        }
        return section
    }

    static func report(_ file: EnforcementCase) -> RecordPage.Section {
        var report = RecordPage.Section(
            heading: "Report",
            lines: [
                .init(key: "Badge as seen", value: file.reportedBadge),
                .init(key: "Where", value: file.location),
                .init(key: "Vehicle", value: file.vehicleRegistration.isEmpty ? "—" : file.vehicleRegistration),
                .init(key: "What was seen", value: file.observation),
                .init(key: "Reported by", value: file.reportedBy),
                .init(key: "Seen", value: Formats.dateTime(file.reportedAt)),
                .init(key: "Investigating officer", value: file.assignedName ?? "Nobody yet"),
            ])
        if let outcome = file.outcome {
            report.lines.append(.init(key: "Outcome", value: outcome.label))
            report.lines.append(.init(key: "Why", value: file.outcomeRationale ?? ""))
        }
        return report
    }

    /// The council's badge with the number seen, or why there is none.
    static func councilBadge(_ file: EnforcementCase, today: Day, basePath: String) -> RecordPage.Section {
        file.badge.map {
            RecordPage.Section(
                heading: "The council's badge",
                lines: BadgePages.lines($0, today: today, href: "\(basePath)/badges/\($0.number)"))
        }
            ?? RecordPage.Section(
                heading: "The council's badge",
                lead: ["The number is not one of this council's badges (forged, misread, or another council's)."])
    }

    /// The evidence so far, and (until the case is closed) the form to add more.
    static func evidence(_ file: EnforcementCase, base: String, csrf: String, issues: [FieldIssue]) -> RecordPage.Section {
        .init(
            heading: "Evidence",
            lines: file.evidence.map { .init(key: Formats.dateTime($0.capturedAt), value: $0.description) },
            form: file.status == .closed
                ? nil
                : FormModel(
                    action: base + "/evidence", csrf: csrf,
                    fields: [
                        FormField(
                            name: "evidence", label: "Describe the evidence",
                            hint: "For example, photograph of the dashboard, time-stamped")
                    ],
                    submit: "Add evidence"
                ).with(errors: issues.filter { $0.field == "evidence" }), folded: true)
    }

    static func closeForm(base: String, csrf: String, issues: [FieldIssue]) -> FormModel {
        FormModel(
            action: base + "/close", csrf: csrf,
            fields: [
                FormField(
                    name: "outcome", label: "Outcome", kind: .select,
                    options: EnforcementOutcome.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: false) }),
                FormField(
                    name: "rationale", label: "Why", hint: "A cancellation also cancels the badge in the national register"),
            ], submit: "Close the case"
        ).with(errors: issues.filter { $0.field != "evidence" })
    }
}
