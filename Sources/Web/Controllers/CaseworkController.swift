import Casework
import Communications
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Work queues, taking in an application (with the applicant, checked for duplicates), and the
/// case page with its timeline, assessment, decision and notes. Every route asks the policy
/// engine; cases of teams a person may not see answer 404.
struct CaseworkController: Sendable {
    let identity: IdentityServices
    let cases: CaseService
    /// The fee and badge sections of the case page, and the badge routes.
    let badges: BadgesController
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("cases", .viewCase, use: queue)
        group.get("cases/new", .editCase, use: newPage)
        group.post("cases/new", .editCase, use: create)
        group.get("cases/:reference", .viewCase, use: show)
        group.post("cases/:reference/assign-to-me", .editCase, use: assignToMe)
        group.post("cases/:reference/assign", .editCase, use: assign)
        group.post("cases/:reference/representatives", .editCase, use: addRepresentative)
        group.post("cases/:reference/assess", .assessCase, use: assess)
        group.post("cases/:reference/decide", .decideCase, use: decide)
        group.post("cases/:reference/notes", .editCase, use: note)
        group.post("cases/:reference/evidence/request", .editCase, use: requestEvidence)
        group.post("cases/:reference/evidence/received", .editCase, use: receiveEvidence)
        group.post("cases/:reference/review", .editCase, use: requestReview)
        group.get("cases/:reference/letters/:letter", .viewCase, use: letter)
        group.post("cases/:reference/review/decide", .decideCase, use: decideReview)
        group.post("cases/:reference/badge", .issueBadge, use: issueBadge)
        group.post("cases/import", .editCase, use: importOnline)
        badges.addRoutes(to: group)
    }

    // MARK: queues

    struct QueuePage: Sendable {
        struct Tab: Sendable {
            let label: String
            let href: String
            let current: Bool
        }

        struct Row: Sendable {
            let reference: String
            let href: String
            let applicant: String
            let kind: String
            let eligibility: String
            let status: String
            let received: String
            let assigned: String
            let days: String
            let late: Bool
        }

        let tabs: [Tab]
        let searchText: String
        let searchAction: String
        let rows: [Row]
        let newHref: String?
        let importAction: String?
        let csrf: String
        let layout: Layout
    }

    @Sendable func queue(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        let searchText = request.uri.queryParameters.get("q").map { String($0.prefix(100)) }?.trimmingCharacters(in: .whitespaces)
        let show = searchText?.isEmpty == false ? "search" : request.uri.queryParameters.get("show") ?? "mine"
        let policy = try await identity.policies.current(context.tenant.scope, logger: context.logger).document.casework
        let target = policy.processingTargetDays
        let queue: CaseService.Queue =
            switch show {
            case "unassigned": .unassigned
            case "team": .teams(actor.principal.teams)
            case "open": .open
            case "due": .atLeast(days: max(0, target - policy.escalateDaysBeforeTarget))
            case "search": .search(searchText ?? "")
            default: .mine(actor.officer.id)
            }
        let rows = try await cases.queue(context.tenant.scope, queue, visibleTeams: actor.visibleTeams(), logger: context.logger)
        let base = context.basePath + "/cases"
        let tabs = [
            ("mine", "My cases"), ("team", "My teams"), ("unassigned", "Unassigned"), ("due", "Near or past target"), ("open", "All open"),
        ].map {
            QueuePage.Tab(label: $0.1, href: "\(base)?show=\($0.0)", current: $0.0 == show)
        }
        return try pages.render(
            "cases",
            QueuePage(
                tabs: tabs, searchText: searchText ?? "", searchAction: base,
                rows: rows.map {
                    QueuePage.Row(
                        reference: $0.reference, href: "\(base)/\($0.reference)", applicant: $0.applicantName, kind: $0.kind.label,
                        eligibility: $0.eligibility?.rawValue ?? "—", status: $0.status.label,
                        received: $0.receivedAt.map(Formats.date) ?? "Draft",
                        assigned: $0.assignedName ?? "Unassigned", days: $0.elapsedDays.map { "\($0) of \(target)" } ?? "—",
                        late: ($0.elapsedDays ?? 0) > target)
                },
                newHref: actor.may(.editCase) ? base + "/new" : nil,
                importAction: actor.may(.editCase) ? base + "/import" : nil, csrf: context.csrfToken,
                layout: .council(context, current: "/cases")))
    }

    // MARK: taking in an application

    @Sendable func newPage(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try pages.render(
            "form-page", FormPage(title: "New application", form: Self.newForm(context, nil), layout: .council(context, current: "/cases")))
    }

    @Sendable func create(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: IntakeForm.self, context: context)
        do {
            let reference = try await cases.takeIn(
                context.tenant.scope, form.person, confirmedNew: form.confirmNew, form.application(team: context.actor.newCaseTeam),
                as: context.actor, logger: context.logger)
            return Self.backToCase(context, reference)
        } catch let error as CaseworkError {
            let issues: [FieldIssue]
            var duplicates: [String] = []
            switch error {
            case .invalid(let found): issues = found
            case .possibleDuplicates(let matches):
                duplicates = matches.map { "\($0.fullName), \($0.postcode)" }
                issues = [FieldIssue(field: "confirm-new", message: "This may be someone already on record: check the list, then confirm")]
            default: throw error
            }
            var page = FormPage(
                title: "New application", form: Self.newForm(context, form, confirm: !duplicates.isEmpty).with(errors: issues),
                layout: .council(context, current: "/cases"))
            if !duplicates.isEmpty { page.lead = ["Possible matches already on record: " + duplicates.joined(separator: "; ")] }
            return try pages.render("form-page", page, status: .unprocessableContent)
        }
    }

    static func newForm(_ context: SignedInRequestContext, _ form: IntakeForm?, confirm: Bool = false) -> FormModel {
        func options(_ chosen: String?, _ choices: [(String, String)]) -> [FormField.Option] {
            choices.map { FormField.Option(value: $0.0, label: $0.1, selected: chosen == $0.0) }
        }
        var fields = [
            FormField(
                name: "applicant-kind", label: "The applicant is", kind: .select,
                options: options(
                    form?.applicantKind?.rawValue,
                    [("person", "A person"), ("organisation", "An organisation (badge for vehicles carrying disabled people)")])),
            FormField(name: "full-name", label: "Applicant's full name, or the organisation's name", value: form?.fullName ?? ""),
            FormField(
                name: "date-of-birth", label: "Date of birth (people only)", hint: "For example, 27/03/1961", value: form?.dateOfBirth ?? ""
            ),
            FormField(
                name: "nino", label: "National Insurance number (optional)", hint: "For example, QQ 12 34 56 C", value: form?.nino ?? ""),
            FormField(name: "address-line1", label: "Address line 1", value: form?.addressLine1 ?? ""),
            FormField(name: "address-line2", label: "Address line 2 (optional)", value: form?.addressLine2 ?? ""),
            FormField(name: "town", label: "Town or city", value: form?.town ?? ""),
            FormField(name: "postcode", label: "Postcode", value: form?.postcode ?? ""),
            FormField(name: "email", label: "Email (optional)", value: form?.email ?? "", kind: .email),
            FormField(name: "phone", label: "Phone (optional)", value: form?.phone ?? ""),
            FormField(
                name: "preferred-channel", label: "How they prefer to be contacted", kind: .select,
                options: options(form?.preferredChannel, [("letter", "Letter"), ("email", "Email"), ("sms", "Text message")])),
            FormField(name: "vulnerable", label: "The applicant is vulnerable", kind: .checkbox, checked: form?.vulnerable ?? false),
            FormField(
                name: "kind", label: "Type of application", kind: .select,
                options: options(form?.kind?.rawValue, ApplicationKind.allCases.map { ($0.rawValue, $0.label) })),
            FormField(
                name: "replace-reason", label: "Reason for a replacement", kind: .select,
                options: options(
                    form?.replaceReason?.rawValue, [("", "Not a replacement")] + ReplacementReason.allCases.map { ($0.rawValue, $0.label) })
            ),
            FormField(
                name: "existing-badge", label: "Badge number being renewed or replaced", hint: "6 characters; required for a replacement",
                value: form?.existingBadge ?? ""),
            FormField(
                name: "channel", label: "How the application arrived", kind: .select,
                options: options(form?.channel?.rawValue, Channel.allCases.map { ($0.rawValue, $0.label) })),
            FormField(
                name: "eligibility", label: "Eligibility", kind: .select,
                options: options(
                    form?.eligibility?.rawValue,
                    [("", "Not known yet (draft), or an organisation")]
                        + Eligibility.allCases.map { ($0.rawValue, $0.label) })),
            FormField(name: "draft", label: "Save as a draft to finish later", kind: .checkbox, checked: form?.draft ?? false),
        ]
        if confirm {
            fields.append(FormField(name: "confirm-new", label: "This is a different person: create a new record", kind: .checkbox))
        }
        return FormModel(action: context.basePath + "/cases/new", csrf: context.csrfToken, fields: fields, submit: "Save application")
    }

    // MARK: the case page

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

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context, context.actor, reference: try Self.reference(context))
    }

    /// The case page; `issues` go to the form they came from (decision or badge order).
    func render(
        _ context: SignedInRequestContext, _ actor: Actor, reference: String, issues: [FieldIssue] = [],
        badgeIssues: [FieldIssue] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let file = try await cases.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        let policy = try await identity.policies.current(context.tenant.scope, logger: context.logger).document
        let principal = actor.principal
        let team = AccessTarget(team: file.row.team)
        let open = file.row.status.isOpen
        let decideTarget = AccessTarget(team: file.row.team, assessedBy: file.row.assessedBy)
        let canDecide = open && AccessPolicy.decide(principal, .decideCase, decideTarget).isAllowed
        let sections =
            try await peopleSections(context, actor, reference: reference, file: file, issues: badgeIssues)
            + badges.caseSections(context, actor, reference: reference, team: file.row.team, issues: badgeIssues)
        let decideForm =
            canDecide
            ? FormModel(
                action: "\(context.basePath)/cases/\(reference)/decide", csrf: context.csrfToken,
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
            ).with(errors: issues) : nil
        let page = CasePage(
            reference: reference, status: file.row.status.label,
            summary: [
                .init(key: "Type", value: file.kind.label + (file.replaceReason.map { " (\($0.label.lowercased()))" } ?? "")),
                .init(key: "Eligibility", value: file.row.eligibility.map(\.label) ?? "Not known yet"),
                .init(key: "Route", value: file.row.eligibility.map { $0.isAutomatic ? "Automatic" : "Further assessment" } ?? "—"),
                .init(key: "Arrived", value: file.channel.label),
                .init(key: "Received", value: file.receivedAt.map(Formats.date) ?? "Draft: not yet received"),
                .init(
                    key: "Processing clock",
                    value: file.elapsedDays(now: cases.clock.now()).map {
                        "Day \($0) of \(policy.casework.processingTargetDays)"
                            + (file.isPaused ? " (paused: waiting for the applicant)" : "")
                            + ($0 > policy.casework.processingTargetDays && file.decision == nil ? " — past target" : "")
                    } ?? "Not started"),
                .init(
                    key: "Assigned to",
                    value: "\(file.assignedName ?? "Unassigned"), team \(file.row.team)"),
                .init(key: "Assessment", value: file.assessment ?? "Not assessed"),
            ],
            applicant: [
                .init(key: "Name", value: file.applicantName + (file.vulnerable ? " (vulnerable)" : "")),
                .init(key: "Date of birth", value: file.dateOfBirth.map(Formats.date) ?? "—"),
                .init(key: "Address", value: "\(file.address), \(file.postcode)"),
            ],
            evidence: file.evidence.map {
                .init(
                    key: $0.kind,
                    value: $0.receivedAt.map { "Received \(Formats.date($0))" } ?? $0.requestedAt.map { "Requested \(Formats.date($0))" }
                        ?? "Not yet asked for")
            },
            timeline: file.events.map {
                .init(key: Formats.dateTime($0.at), value: "\($0.kind) — \($0.actor)\($0.detail.isEmpty ? "" : ": \($0.detail)")")
            },
            decision: file.decision.map { decision in
                [
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
            } ?? [],
            base: "\(context.basePath)/cases/\(reference)", csrf: context.csrfToken,
            canAssign: open && AccessPolicy.decide(principal, .editCase, team).isAllowed,
            canAssess: [.received, .awaitingApplicant].contains(file.row.status)
                && AccessPolicy.decide(principal, .assessCase, team).isAllowed,
            decideForm: decideForm,
            review: file.review.map { review in
                [
                    .init(key: "Requested", value: Formats.date(review.requestedAt)), .init(key: "Answer due by", value: review.dueOn),
                    .init(key: "Outcome", value: review.status == "OPEN" ? "Open" : review.status.capitalized),
                ]
                    + (review.rationale.map { [.init(key: "Rationale", value: $0)] } ?? [])
            } ?? [],
            canRequestReview: file.row.status == .refused && file.decision?.reviewOffered == true && file.review == nil
                && AccessPolicy.decide(principal, .editCase, team).isAllowed,
            reviewForm: file.review?.status == "OPEN" && AccessPolicy.decide(principal, .decideCase, team).isAllowed
                ? FormModel(
                    action: "\(context.basePath)/cases/\(reference)/review/decide", csrf: context.csrfToken,
                    fields: [
                        FormField(
                            name: "review-outcome", label: "Review outcome", kind: .select,
                            options: [
                                .init(value: "UPHELD", label: "Uphold the refusal", selected: false),
                                .init(value: "OVERTURNED", label: "Overturn: approve the application", selected: false),
                            ]),
                        FormField(name: "review-rationale", label: "Rationale"),
                    ], submit: "Record review outcome") : nil,
            canNote: AccessPolicy.decide(principal, .editCase, team).isAllowed,
            evidenceForm: open && AccessPolicy.decide(principal, .editCase, team).isAllowed
                ? FormModel(
                    action: "\(context.basePath)/cases/\(reference)/evidence/request", csrf: context.csrfToken,
                    fields: file.evidence.filter { $0.receivedAt == nil }.enumerated().map {
                        FormField.choice(of: "items", String($0.offset), label: $0.element.kind)
                    } + [FormField(name: "other", label: "Anything else (optional)", hint: "For example, a letter from a consultant")],
                    submit: policy.casework.pauseClockAwaitingApplicant ? "Ask the applicant (pauses the clock)" : "Ask the applicant")
                : nil,
            receivedForm: open && file.evidence.contains { $0.requestedAt != nil && $0.receivedAt == nil }
                && AccessPolicy.decide(principal, .editCase, team).isAllowed
                ? FormModel(
                    action: "\(context.basePath)/cases/\(reference)/evidence/received", csrf: context.csrfToken,
                    fields: file.evidence.filter { $0.requestedAt != nil && $0.receivedAt == nil }.enumerated().map {
                        FormField.choice(of: "items", String($0.offset), label: $0.element.kind)
                    }, submit: "Record what has arrived") : nil,
            letters: file.letters.map {
                .init(
                    key: "\(context.basePath)/cases/\(reference)/letters/\($0.id)",
                    value: "\(Self.letterTitle($0.kind)) (\($0.channel)), \(Formats.dateTime($0.createdAt))")
            },
            sections: sections,
            errors: badgeIssues.isEmpty ? nil : FormModel(action: "", csrf: "", fields: [], submit: "").with(errors: badgeIssues),
            layout: .council(context, current: "/cases"))
        return try pages.render("case", page, status: status)
    }

    @Sendable func assignToMe(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        let reference = try Self.reference(context)
        try await cases.assign(context.tenant.scope, reference: reference, to: actor.officer, team: nil, as: actor, logger: context.logger)
        return Self.backToCase(context, reference)
    }

    @Sendable func assess(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: AssessmentForm.self)
        try await cases.assess(context.tenant.scope, reference: reference, findings: form.findings, as: actor, logger: context.logger)
        return Self.backToCase(context, reference)
    }

    @Sendable func decide(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: DecisionForm.self)
        do {
            try await cases.decide(
                context.tenant.scope, reference: reference, outcome: form.outcome ?? .refused, reasons: form.reasons ?? [],
                rationale: form.rationale, as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, issues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }

    @Sendable func note(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: NoteForm.self)
        try await cases.addNote(context.tenant.scope, reference: reference, body: form.note, as: actor, logger: context.logger)
        return Self.backToCase(context, reference)
    }

    @Sendable func requestReview(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        try await cases.requestReview(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        return Self.backToCase(context, reference)
    }

    @Sendable func decideReview(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: ReviewDecisionForm.self)
        do {
            try await cases.decideReview(
                context.tenant.scope, reference: reference, overturn: form.reviewOutcome == .overturned, rationale: form.reviewRationale,
                as: actor, logger: context.logger)
        } catch CaseworkError.invalid(let issues) {
            return try await render(context, actor, reference: reference, issues: issues, status: .unprocessableContent)
        }
        return Self.backToCase(context, reference)
    }

    /// The form lists the items still outstanding by position (`items[]=N`), plus a free-text one.
    @Sendable func requestEvidence(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: EvidenceForm.self)
        let file = try await cases.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        let items = form.ticked(file.evidence.filter { $0.receivedAt == nil }) + [form.other]
        try await cases.requestEvidence(context.tenant.scope, reference: reference, items: items, as: actor, logger: context.logger)
        return Self.backToCase(context, reference)
    }

    /// The form lists the items asked for and not yet received by position (`items[]=N`).
    @Sendable func receiveEvidence(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference, form) = try await Self.input(request, context, as: EvidenceForm.self)
        let file = try await cases.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        let items = form.ticked(file.evidence.filter { $0.requestedAt != nil && $0.receivedAt == nil })
        try await cases.receiveEvidence(context.tenant.scope, reference: reference, items: items, as: actor, logger: context.logger)
        return Self.backToCase(context, reference)
    }

    struct LetterPage: Sendable {
        let title: String
        let reference: String
        let body: [String]
        let backHref: String
        let layout: Layout
    }

    /// A letter exactly as recorded, laid out for printing.
    @Sendable func letter(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        let file = try await cases.file(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        let id = try context.parameters.require("letter", as: UUID.self)
        guard let letter = file.letters.first(where: { $0.id == id }) else { throw CaseworkError.noSuchCase }
        return try pages.render(
            "letter",
            LetterPage(
                title: Self.letterTitle(letter.kind), reference: reference, body: letter.body.components(separatedBy: "\n"),
                backHref: "\(context.basePath)/cases/\(reference)", layout: .council(context, current: "/cases")))
    }

    static func letterTitle(_ kind: String) -> String { LetterKind(rawValue: kind)?.title ?? kind }

    /// What every case form handler starts from: who acts, the case in the path, the form sent.
    static func input<Form: Decodable>(_ request: Request, _ context: SignedInRequestContext, as form: Form.Type) async throws -> (
        Actor, String, Form
    ) {
        (context.actor, try reference(context), try await request.decode(as: Form.self, context: context))
    }

    /// After an action, back to the case page (post/redirect/get).
    static func backToCase(_ context: SignedInRequestContext, _ reference: String) -> Response {
        .redirect(to: "\(context.basePath)/cases/\(reference)")
    }

    static func reference(_ context: SignedInRequestContext) throws -> String {
        try context.parameters.require("reference", as: RecordReference.self).description
    }
}
