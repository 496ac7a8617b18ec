import Casework
import Enforcement
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// `/api/v1`: the casework operations of the pages, for a council's integrations, as JSON.
/// The same services, the same policy engine (an API key's permissions stand in for access
/// groups; refusals are audited), the same rules. Documented in `openapi/kerb-api-v1.yaml`.
struct CaseworkAPIController: Sendable {
    let identity: IdentityServices
    let cases: CaseService
    let badges: BadgesController
    let enforcement: EnforcementService
    let access: AccessGuard

    /// Every operation, as documented in `kerb-api-v1.yaml` (a test holds the two to each other).
    static let operations: [(method: HTTPRequest.Method, path: String, access: Permission)] = [
        (.get, "applications", .viewCase), (.post, "applications", .editCase), (.get, "applications/{reference}", .viewCase),
        (.post, "applications/{reference}/assessment", .assessCase), (.post, "applications/{reference}/decision", .decideCase),
        (.post, "applications/{reference}/notes", .editCase), (.post, "applications/{reference}/evidence-requests", .editCase),
        (.post, "applications/{reference}/evidence-received", .editCase), (.post, "applications/{reference}/review", .editCase),
        (.post, "applications/{reference}/review/decision", .decideCase), (.post, "applications/{reference}/payment", .takePayments),
        (.post, "applications/{reference}/badge", .issueBadge), (.get, "badges/{number}", .viewCase),
        (.post, "badges/{number}/cancellation", .issueBadge), (.post, "enforcement-cases", .manageEnforcement),
        (.get, "enforcement-cases/{reference}", .manageEnforcement), (.get, "mi", .viewMI),
    ]

    typealias Handler = @Sendable (Request, SignedInRequestContext) async throws -> Response

    func handler(_ method: HTTPRequest.Method, _ path: String) -> Handler {
        switch (method, path) {
        case (.get, "applications"): list
        case (.post, "applications"): create
        case (.get, "applications/{reference}"): show
        case (.post, "applications/{reference}/assessment"): assess
        case (.post, "applications/{reference}/decision"): decide
        case (.post, "applications/{reference}/notes"): note
        case (.post, "applications/{reference}/evidence-requests"): requestEvidence
        case (.post, "applications/{reference}/evidence-received"): receiveEvidence
        case (.post, "applications/{reference}/review"): requestReview
        case (.post, "applications/{reference}/review/decision"): decideReview
        case (.post, "applications/{reference}/payment"): requestPayment
        case (.post, "applications/{reference}/badge"): issueBadge
        case (.get, "badges/{number}"): badge
        case (.post, "badges/{number}/cancellation"): cancelBadge
        case (.post, "enforcement-cases"): report
        case (.get, "enforcement-cases/{reference}"): enforcementCase
        case (.get, "mi"): managementInformation
        default: { _, _ in throw HTTPError(.notFound) }  // unreachable: `operations` lists exactly the cases above
        }
    }

    func addRoutes(to api: DeclaredRoutes) {
        for (method, path, permission) in Self.operations {
            let routerPath = path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
            api.on(routerPath, method: method, permission, use: handler(method, path))
        }
    }

    // MARK: wire shapes

    struct Summary: Encodable {
        let reference: String
        let applicant: String
        let kind: String
        let eligibility: String?
        let status: String
        let receivedAt: Date?
        let assignedTo: String?
        let team: String?
        let daysOnClock: Int?
    }

    struct Applicant: Codable {
        var fullName: String
        var dateOfBirth: String?
        var nino: String?
        var addressLine1: String
        var addressLine2: String?
        var town: String?
        var postcode: String
        var email: String?
        var phone: String?
        var preferredChannel: String?
        var vulnerable: Bool?
        var organisation: Bool?
    }

    struct NewApplication: Decodable {
        var applicant: Applicant
        var kind: ApplicationKind
        var replaceReason: ReplacementReason?
        var channel: Channel
        var eligibility: Eligibility?
        var existingBadge: String?
        var draft: Bool?
        /// Confirms a new person although the council may already know them (a 409 named the matches).
        var confirmedNewPerson: Bool?
    }

    struct Detail: Encodable {
        struct Evidence: Encodable {
            let kind: String
            let requestedAt: Date?
            let receivedAt: Date?
        }
        struct Decision: Encodable {
            let outcome: String
            let reasons: [String]
            let rationale: String
            let reviewOffered: Bool
            let decidedAt: Date
        }
        struct Review: Encodable {
            let requestedAt: Date
            let dueOn: String
            let status: String
            let rationale: String?
        }
        struct Letter: Encodable {
            let id: UUID
            let kind: String
            let channel: String
            let createdAt: Date
        }
        struct Event: Encodable {
            let at: Date
            let actor: String
            let kind: String
            let detail: String
        }

        let reference: String
        let status: String
        let kind: String
        let replaceReason: String?
        let channel: String
        let eligibility: String?
        let receivedAt: Date?
        let daysOnClock: Int?
        let clockPaused: Bool
        let assignedTo: String?
        let team: String?
        let applicant: String
        let postcode: String
        let evidence: [Evidence]
        let decision: Decision?
        let review: Review?
        let letters: [Letter]
        let timeline: [Event]
    }

    struct BadgeBody: Encodable {
        let badgeNumber: String
        let status: String
        let holder: String
        let eligibility: String
        let startDate: String
        let expiryDate: String
        let deliverTo: String
        let cancelReason: String?
        let replaceReason: String?
        let replaces: String?
        let application: String?

        init(_ badge: Badge, today: Day) {
            badgeNumber = badge.number
            status = badge.isExpired(today: today) && [.ordered, .issued].contains(badge.status) ? "EXPIRED" : badge.status.rawValue
            holder = badge.holderName
            eligibility = badge.eligibility
            startDate = badge.start.iso
            expiryDate = badge.expiry.iso
            deliverTo = badge.deliverTo.rawValue
            cancelReason = badge.cancelReason?.rawValue
            replaceReason = badge.replaceReason?.rawValue
            replaces = badge.replaces
            application = badge.applicationReference
        }
    }

    // MARK: applications

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        let query = request.uri.queryParameters
        let policy = try await identity.policies.current(context.tenant.scope, logger: context.logger).document.casework
        let queue: CaseService.Queue =
            if let text = query.get("q"), !text.isEmpty {
                .search(String(text.prefix(100)))
            } else {
                switch query.get("queue") ?? "open" {
                case "unassigned": .unassigned
                case "due": .atLeast(days: max(0, policy.processingTargetDays - policy.escalateDaysBeforeTarget))
                case "open": .open
                default: throw APIBodyError.invalid(FieldIssue(field: "queue", message: "queue is open, unassigned or due"))
                }
            }
        let rows = try await cases.queue(context.tenant.scope, queue, visibleTeams: actor.visibleTeams(), logger: context.logger)
        return try APIJSON.response(
            rows.map {
                Summary(
                    reference: $0.reference, applicant: $0.applicantName, kind: $0.kind.rawValue, eligibility: $0.eligibility?.rawValue,
                    status: $0.status.rawValue, receivedAt: $0.receivedAt, assignedTo: $0.assignedName, team: $0.team,
                    daysOnClock: $0.elapsedDays)
            })
    }

    @Sendable func create(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        let body = try await APIJSON.decode(NewApplication.self, from: request)
        let applicant = body.applicant
        let dateOfBirth = try applicant.dateOfBirth.map {
            guard let day = Day(iso: $0) else {
                throw APIBodyError.invalid(FieldIssue(field: "applicant.dateOfBirth", message: "dateOfBirth is YYYY-MM-DD"))
            }
            return day.utcMidnight
        }
        let details = PersonDetails(
            fullName: applicant.fullName, dateOfBirth: dateOfBirth, nino: applicant.nino ?? "", addressLine1: applicant.addressLine1,
            addressLine2: applicant.addressLine2 ?? "", town: applicant.town ?? "", postcode: applicant.postcode,
            email: applicant.email ?? "", phone: applicant.phone ?? "", preferredChannel: applicant.preferredChannel ?? "letter",
            vulnerable: applicant.vulnerable ?? false, isOrganisation: applicant.organisation ?? false)
        let application = CaseService.NewApplication(
            personID: UUID(), kind: body.kind, replaceReason: body.replaceReason, channel: body.channel, eligibility: body.eligibility,
            existingBadge: body.existingBadge, draft: body.draft ?? false, forOrganisation: applicant.organisation ?? false,
            team: actor.newCaseTeam)
        let reference = try await cases.takeIn(
            context.tenant.scope, details, confirmedNew: body.confirmedNewPerson ?? false, application, as: actor, logger: context.logger)
        return try await detail(context, actor, reference, status: .created)
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        return try await detail(context, actor, reference)
    }

    private func detail(_ context: SignedInRequestContext, _ actor: Actor, _ reference: String, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let file = try await cases.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        return try APIJSON.response(
            Detail(
                reference: reference, status: file.row.status.rawValue, kind: file.kind.rawValue,
                replaceReason: file.replaceReason?.rawValue,
                channel: file.channel.rawValue, eligibility: file.row.eligibility?.rawValue, receivedAt: file.receivedAt,
                daysOnClock: file.elapsedDays(now: cases.clock.now()), clockPaused: file.isPaused, assignedTo: file.assignedName,
                team: file.row.team,
                applicant: file.applicantName, postcode: file.postcode,
                evidence: file.evidence.map { .init(kind: $0.kind, requestedAt: $0.requestedAt, receivedAt: $0.receivedAt) },
                decision: file.decision.map {
                    .init(
                        outcome: $0.outcome, reasons: $0.reasons.map(\.rawValue), rationale: $0.rationale, reviewOffered: $0.reviewOffered,
                        decidedAt: $0.decidedAt)
                },
                review: file.review.map { .init(requestedAt: $0.requestedAt, dueOn: $0.dueOn, status: $0.status, rationale: $0.rationale) },
                letters: file.letters.map { .init(id: $0.id, kind: $0.kind, channel: $0.channel, createdAt: $0.createdAt) },
                timeline: file.events.map { .init(at: $0.at, actor: $0.actor, kind: $0.kind, detail: $0.detail) }),
            status: status)
    }

    struct Findings: Decodable { var findings: String }
    struct DecisionBody: Decodable {
        var outcome: CaseService.Outcome
        var reasons: [RefusalReason]?
        var rationale: String?
    }
    struct Text: Decodable { var text: String }
    struct Items: Decodable { var items: [String] }
    struct ReviewDecision: Decodable {
        var overturn: Bool
        var rationale: String
    }

    @Sendable func assess(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(Findings.self, from: request)
        try await cases.assess(context.tenant.scope, reference: reference, findings: body.findings, as: actor, logger: context.logger)
        return try await detail(context, actor, reference)
    }

    @Sendable func decide(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(DecisionBody.self, from: request)
        try await cases.decide(
            context.tenant.scope, reference: reference, outcome: body.outcome, reasons: body.reasons ?? [],
            rationale: body.rationale ?? "", as: actor, logger: context.logger)
        return try await detail(context, actor, reference)
    }

    @Sendable func note(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(Text.self, from: request)
        try await cases.addNote(context.tenant.scope, reference: reference, body: body.text, as: actor, logger: context.logger)
        return try await detail(context, actor, reference, status: .created)
    }

    @Sendable func requestEvidence(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(Items.self, from: request)
        try await cases.requestEvidence(context.tenant.scope, reference: reference, items: body.items, as: actor, logger: context.logger)
        return try await detail(context, actor, reference)
    }

    @Sendable func receiveEvidence(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(Items.self, from: request)
        try await cases.receiveEvidence(context.tenant.scope, reference: reference, items: body.items, as: actor, logger: context.logger)
        return try await detail(context, actor, reference)
    }

    @Sendable func requestReview(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        try await cases.requestReview(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        return try await detail(context, actor, reference, status: .created)
    }

    @Sendable func decideReview(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(ReviewDecision.self, from: request)
        try await cases.decideReview(
            context.tenant.scope, reference: reference, overturn: body.overturn, rationale: body.rationale, as: actor,
            logger: context.logger)
        return try await detail(context, actor, reference)
    }

    // MARK: fee and badge

    struct PaymentBody: Encodable {
        let reference: String
        let amountPence: Int
        let status: String
        let nextUrl: String?
    }

    struct ReturnTo: Decodable { var returnUrl: String }

    @Sendable func requestPayment(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(ReturnTo.self, from: request)
        guard let gateway = badges.external.feeGateway(context.tenant) else { throw IntegrationError.notConfigured("GOV.UK Pay") }
        let payment = try await badges.fees.request(
            context.tenant.scope, reference: reference, gateway: gateway, returnURL: body.returnUrl, as: actor, logger: context.logger)
        return try APIJSON.response(
            PaymentBody(reference: payment.reference, amountPence: payment.amountPence, status: payment.status, nextUrl: payment.nextURL),
            status: .created)
    }

    struct Order: Decodable {
        var startDate: String
        var expiryDate: String?
        var deliverTo: DeliverTo?
        var deliveryOption: DeliveryOption?
    }

    @Sendable func issueBadge(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, reference) = try target(context)
        let body = try await APIJSON.decode(Order.self, from: request)
        guard let start = Day(iso: body.startDate) else {
            throw APIBodyError.invalid(FieldIssue(field: "startDate", message: "startDate is YYYY-MM-DD"))
        }
        let expiry = try body.expiryDate.map {
            guard let day = Day(iso: $0) else {
                throw APIBodyError.invalid(FieldIssue(field: "expiryDate", message: "expiryDate is YYYY-MM-DD"))
            }
            return day
        }
        guard let register = badges.external.register(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        try await badges.refreshFees(context, reference, actor)
        let number = try await badges.badges.issue(
            context.tenant.scope, reference: reference, start: start, expiry: expiry, deliverTo: body.deliverTo ?? .home,
            option: body.deliveryOption ?? .standard, register: register, as: actor, logger: context.logger)
        let badge = try await badges.badges.badge(context.tenant.scope, number: number, as: actor, logger: context.logger)
        return try APIJSON.response(BadgeBody(badge, today: Day(cases.clock.now())), status: .created)
    }

    @Sendable func badge(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let badge = try await badges.badges.badge(
            context.tenant.scope, number: try BadgesController.number(context), as: context.actor, logger: context.logger)
        return try APIJSON.response(BadgeBody(badge, today: Day(cases.clock.now())))
    }

    struct Cancellation: Decodable { var reason: CancelReason }

    @Sendable func cancelBadge(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (actor, number) = (context.actor, try BadgesController.number(context))
        let body = try await APIJSON.decode(Cancellation.self, from: request)
        guard let register = badges.external.register(context.tenant) else {
            throw IntegrationError.notConfigured("The national Blue Badge service")
        }
        try await badges.badges.cancel(
            context.tenant.scope, number: number, reason: body.reason, register: register, as: actor, logger: context.logger)
        let cancelled = try await badges.badges.badge(context.tenant.scope, number: number, as: actor, logger: context.logger)
        return try APIJSON.response(BadgeBody(cancelled, today: Day(cases.clock.now())))
    }

    // MARK: enforcement and MI

    struct Report: Decodable {
        var badgeNumber: String
        var location: String
        var vehicleRegistration: String?
        var observation: String
        var reportedBy: String
        var seenAt: Date?
    }

    struct EnforcementBody: Encodable {
        let reference: String
        let reportedBadge: String
        let badge: String?
        let status: String
        let outcome: String?
        let location: String
        let observation: String
    }

    @Sendable func report(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let actor = context.actor
        let body = try await APIJSON.decode(Report.self, from: request)
        let reference = try await enforcement.report(
            context.tenant.scope,
            MisuseReport(
                badgeNumber: body.badgeNumber, location: body.location, vehicleRegistration: body.vehicleRegistration ?? "",
                observation: body.observation, reportedBy: body.reportedBy, seenAt: body.seenAt ?? enforcement.clock.now()),
            as: actor, logger: context.logger)
        return try await enforcementBody(context, actor, reference, status: .created)
    }

    @Sendable func enforcementCase(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await enforcementBody(context, context.actor, try EnforcementController.reference(context))
    }

    private func enforcementBody(
        _ context: SignedInRequestContext, _ actor: Actor, _ reference: String, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let file = try await enforcement.file(context.tenant.scope, reference: reference, as: actor, logger: context.logger)
        return try APIJSON.response(
            EnforcementBody(
                reference: file.reference, reportedBadge: file.reportedBadge, badge: file.badge?.number, status: file.status.rawValue,
                outcome: file.outcome?.rawValue, location: file.location, observation: file.observation),
            status: status)
    }

    struct Figures: Encodable {
        struct Bucket: Encodable {
            let label: String
            let count: Int
        }
        struct Exception: Encodable {
            let reference: String
            let what: String
            let days: Int
        }
        let targetDays: Int
        let decided: Int
        let decidedWithinTarget: Int
        let openReviews: Int
        let overdueReviews: Int
        let reviewsDecided: Int
        let reviewsDecidedOnTime: Int
        let byStatus: [Bucket]
        let ageing: [Bucket]
        let decisionsByMonth: [Bucket]
        let decisionsByOfficer: [Bucket]
        let exceptions: [Exception]
    }

    @Sendable func managementInformation(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let target = try await identity.policies.current(context.tenant.scope, logger: context.logger).document.casework
            .processingTargetDays
        let mi = try await cases.managementInformation(
            context.tenant.scope, targetDays: target, visibleTeams: ManagementInformationController.visibleTeams(user),
            logger: context.logger)
        func buckets(_ list: [ManagementInformation.Bucket]) -> [Figures.Bucket] { list.map { .init(label: $0.label, count: $0.count) } }
        return try APIJSON.response(
            Figures(
                targetDays: target, decided: mi.decided, decidedWithinTarget: mi.decidedWithinTarget, openReviews: mi.openReviews,
                overdueReviews: mi.overdueReviews, reviewsDecided: mi.reviewsDecided, reviewsDecidedOnTime: mi.reviewsDecidedOnTime,
                byStatus: buckets(mi.byStatus), ageing: buckets(mi.ageing),
                decisionsByMonth: buckets(mi.throughputByMonth), decisionsByOfficer: buckets(mi.throughputByOfficer),
                exceptions: mi.exceptions.map { .init(reference: $0.reference, what: $0.what, days: $0.days) }))
    }

    // MARK: input

    /// Who acts, and the application in the path. The route's permission was checked before the
    /// handler; the use case decides again on the case itself.
    private func target(_ context: SignedInRequestContext) throws -> (Actor, String) {
        (context.actor, try CaseworkController.reference(context))
    }
}
