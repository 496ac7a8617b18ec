import Casework
import Enforcement
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Reports of badge misuse: the list, a new report, and a case's page (take it on, add
/// evidence, close with an outcome). Everything here needs `enforcement.manage`.
struct EnforcementController: Sendable {
    let enforcement: EnforcementService
    let external: ExternalServices
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("enforcement", .manageEnforcement, use: index)
        group.get("enforcement/new", .manageEnforcement, use: newPage)
        group.post("enforcement/new", .manageEnforcement, use: create)
        group.get("enforcement/:reference", .manageEnforcement, use: show)
        group.post("enforcement/:reference/investigate", .manageEnforcement, use: investigate)
        group.post("enforcement/:reference/evidence", .manageEnforcement, use: addEvidence)
        group.post("enforcement/:reference/close", .manageEnforcement, use: close)
    }

    @Sendable func index(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let all = request.uri.queryParameters.get("show") == "all"
        let rows = try await enforcement.cases(context.tenant.scope, openOnly: !all, as: context.actor, logger: context.logger)
        let base = context.basePath + "/enforcement"
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
        return try pages.render(
            "record",
            RecordPage(
                title: "Enforcement",
                links: [
                    .init(label: "Report misuse of a badge", href: base + "/new", current: false),
                    all
                        ? .init(label: "Show open reports only", href: base, current: false)
                        : .init(label: "Show all reports, including closed", href: base + "?show=all", current: false),
                ], sections: [list], layout: .council(context, current: "/enforcement")))
    }

    @Sendable func newPage(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try pages.render(
            "form-page",
            FormPage(
                title: "Report misuse of a badge", form: Self.reportForm(context, nil), layout: .council(context, current: "/enforcement")))
    }

    static func reportForm(_ context: SignedInRequestContext, _ form: MisuseReportForm?) -> FormModel {
        FormModel(
            action: context.basePath + "/enforcement/new", csrf: context.csrfToken,
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

    @Sendable func create(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: MisuseReportForm.self, context: context)
        do {
            let reference = try await enforcement.report(
                context.tenant.scope, form.report(seenAt: enforcement.clock.now()), as: context.actor, logger: context.logger)
            return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
        } catch EnforcementError.invalid(let issues) {
            return try pages.render(
                "form-page",
                FormPage(
                    title: "Report misuse of a badge", form: Self.reportForm(context, form).with(errors: issues),
                    layout: .council(context, current: "/enforcement")), status: .unprocessableContent)
        }
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context, context.actor, try Self.reference(context))
    }

    private func render(
        _ context: SignedInRequestContext, _ actor: Actor, _ reference: String, issues: [FieldIssue] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let file = try await enforcement.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        let base = "\(context.basePath)/enforcement/\(reference)"
        let today = Day(enforcement.clock.now())
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
        var sections = [report]
        sections.append(
            file.badge.map {
                RecordPage.Section(
                    heading: "The council's badge",
                    lines: BadgesController.lines($0, today: today, href: "\(context.basePath)/badges/\($0.number)"))
            }
                ?? RecordPage.Section(
                    heading: "The council's badge",
                    lead: ["The number is not one of this council's badges (forged, misread, or another council's)."]))
        sections.append(
            .init(
                heading: "Evidence",
                lines: file.evidence.map { .init(key: Formats.dateTime($0.capturedAt), value: $0.description) },
                form: file.status == .closed
                    ? nil
                    : FormModel(
                        action: base + "/evidence", csrf: context.csrfToken,
                        fields: [
                            FormField(
                                name: "evidence", label: "Describe the evidence",
                                hint: "For example, photograph of the dashboard, time-stamped")
                        ],
                        submit: "Add evidence"
                    ).with(errors: issues.filter { $0.field == "evidence" }), folded: true))
        if file.status == .open {
            sections.append(
                .init(
                    heading: "Investigate",
                    buttons: [.init(action: base + "/investigate", label: "Take on this case", csrf: context.csrfToken)]))
        }
        if file.status != .closed {
            sections.append(
                .init(
                    heading: "Close with an outcome",
                    form: FormModel(
                        action: base + "/close", csrf: context.csrfToken,
                        fields: [
                            FormField(
                                name: "outcome", label: "Outcome", kind: .select,
                                options: EnforcementOutcome.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: false) }),
                            FormField(
                                name: "rationale", label: "Why", hint: "A cancellation also cancels the badge in the national register"),
                        ], submit: "Close the case"
                    ).with(errors: issues.filter { $0.field != "evidence" })))
        }
        sections.append(
            .init(
                heading: "Timeline",
                lines: file.events.map { .init(key: Formats.dateTime($0.at), value: "\($0.kind) — \($0.actor): \($0.detail)") }))
        return try pages.render(
            "record",
            RecordPage(
                title: reference, caption: "Enforcement case", tag: file.outcome?.label ?? file.status.label,
                errors: issues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: issues),
                sections: sections, layout: .council(context, current: "/enforcement")), status: status)
    }

    @Sendable func investigate(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        try await enforcement.investigate(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    @Sendable func addEvidence(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = (context.actor, try Self.reference(context))
        let form = try await request.decode(as: EnforcementEvidenceForm.self, context: context)
        do {
            try await enforcement.addEvidence(
                context.tenant.scope, reference: reference, description: form.evidence, capturedAt: enforcement.clock.now(),
                as: actor, logger: context.logger)
        } catch EnforcementError.invalid(let issues) {
            return try await render(context, actor, reference, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    @Sendable func close(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = (context.actor, try Self.reference(context))
        let form = try await request.decode(as: EnforcementOutcomeForm.self, context: context)
        do {
            try await enforcement.close(
                context.tenant.scope, reference: reference, outcome: form.outcome ?? .noAction, rationale: form.rationale,
                register: external.register(context.tenant), as: actor, logger: context.logger)
        } catch EnforcementError.invalid(let issues) {
            return try await render(context, actor, reference, issues: issues, status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/enforcement/\(reference)")
    }

    static func reference(_ context: SignedInRequestContext) throws -> String {
        try context.parameters.require("reference", as: RecordReference.self).description
    }
}
