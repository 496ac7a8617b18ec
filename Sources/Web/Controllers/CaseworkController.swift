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
    /// The case's documents: upload and download.
    let documents: CaseDocuments
    /// Subject access archives of a case's applicant.
    let subjectAccessArchives: SubjectAccess
    /// Erasing an applicant's record on request.
    let erasure: Erasure
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
        group.post("cases/:reference/documents", .editCase, use: uploadDocument)
        group.get("cases/:reference/documents/:document", .viewCase, use: downloadDocument)
        group.post("cases/:reference/subject-access", .runExports, use: subjectAccess)
        group.get("cases/:reference/applicant", .viewCase, use: applicant)
        group.post("cases/:reference/applicant", .editCase, use: rectify)
        group.post("cases/:reference/erase", .runExports, use: erase)
        badges.addRoutes(to: group)
    }

    // MARK: queues

    @Sendable func queue(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        let searchText = request.uri.queryParameters.get("q").map { String($0.prefix(100)) }?.trimmingCharacters(in: .whitespaces)
        let show = searchText?.isEmpty == false ? "search" : request.uri.queryParameters.get("show") ?? "mine"
        let policy = context.user.policy.casework
        let queue = Self.selectedQueue(show, searchText: searchText, actor: actor, policy: policy)
        let rows = try await cases.queue(context.tenant.scope, queue, visibleTeams: actor.visibleTeams(), logger: context.logger)
        return try pages.render(
            "cases",
            QueuePage(
                show: show, searchText: searchText ?? "", cases: rows, targetDays: policy.processingTargetDays,
                mayEdit: actor.may(.editCase), basePath: context.basePath, csrf: context.csrfToken,
                layout: .council(context, current: "/cases")))
    }

    /// The queue a tab (`show`) stands for; "due" is the cases within the policy's escalation
    /// margin of the processing target, or past it.
    static func selectedQueue(_ show: String, searchText: String?, actor: Actor, policy: LocalPolicyDocument.Casework) -> CaseService.Queue
    {
        switch show {
        case "unassigned": .unassigned
        case "team": .teams(actor.principal.teams)
        case "open": .open
        case "due": .atLeast(days: max(0, policy.processingTargetDays - policy.escalateDaysBeforeTarget))
        case "search": .search(searchText ?? "")
        default: .mine(actor.officer.id)
        }
    }

    // MARK: taking in an application

    @Sendable func newPage(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = NewApplicationForm.model(nil, basePath: context.basePath, csrf: context.csrfToken)
        return try pages.render("form-page", FormPage(title: "New application", form: form, layout: .council(context, current: "/cases")))
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
            let model = NewApplicationForm.model(form, confirm: !duplicates.isEmpty, basePath: context.basePath, csrf: context.csrfToken)
            var page = FormPage(title: "New application", form: model.with(errors: issues), layout: .council(context, current: "/cases"))
            if !duplicates.isEmpty { page.lead = ["Possible matches already on record: " + duplicates.joined(separator: "; ")] }
            return try pages.render("form-page", page, status: .unprocessableContent)
        }
    }

    // MARK: the case page

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context, context.actor, reference: try Self.reference(context))
    }

    /// The case page; `issues` go to the form they came from (decision or badge order).
    func render(
        _ context: SignedInRequestContext, _ actor: Actor, reference: String, issues: [FieldIssue] = [],
        badgeIssues: [FieldIssue] = [], documentIssues: [FieldIssue] = [], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let scope = context.tenant.scope
        let file = try await cases.file(scope, reference: reference, as: actor, logger: context.logger)
        let policy = context.user.policy
        let assignees = try await CasePagePresenter.assigns(file, actor) ? cases.assignees(scope, logger: context.logger) : nil
        let badgeData = try await badges.caseData(context, reference: reference)
        let presenter = CasePagePresenter(
            file: file, casework: policy.casework, actor: actor, reference: reference, basePath: context.basePath,
            csrf: context.csrfToken, now: cases.clock.now())
        let sections =
            [presenter.documentsSection(policy: policy.documents, issues: documentIssues)]
            + presenter.peopleSections(assignees: assignees, issues: badgeIssues)
            + presenter.badgeSections(badgeData, issues: badgeIssues)
        let page = presenter.page(
            issues: issues, badgeIssues: badgeIssues, sections: sections, layout: .council(context, current: "/cases"))
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

    /// A letter exactly as recorded, laid out for printing.
    @Sendable func letter(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        let file = try await cases.file(context.tenant.scope, reference: reference, as: context.actor, logger: context.logger)
        let id = try context.parameters.require("letter", as: UUID.self)
        guard let letter = file.letters.first(where: { $0.id == id }) else { throw CaseworkError.noSuchCase }
        let largePrint = request.uri.queryParameters.get("print") == "large"
        return try pages.render(
            "letter",
            LetterPage(
                letter, reference: reference, basePath: context.basePath, largePrint: largePrint,
                layout: .council(context, current: "/cases")))
    }

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
