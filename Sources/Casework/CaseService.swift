import Audit
import Communications
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Who is acting on a case, for its timeline.
public struct Officer: Sendable, Equatable {
    public let id: UUID
    public let name: String

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

/// Applicants and their applications, in the council's own schema: entering people (with a
/// duplicate check), taking applications in, assigning, assessing and deciding them. Every change
/// adds to the case's timeline in the same transaction. Statutory rules are enforced here and, as
/// a last line, by the schema (a refusal without reasons cannot be stored).
///
/// Each public operation is a use case: it takes the acting `Actor`, decides access on the case it
/// locked (team, separation of duties), reads local policy, makes the change, adds to the timeline
/// and writes the audit row with the fields it changed, all in one transaction. Page and API
/// handlers only translate HTTP to these calls and back.
public struct CaseService: Sendable {
    public let database: TenantDatabase
    public let letters: Letters
    public let clock: WallClock
    let access: CaseAccess

    public init(database: TenantDatabase, letters: Letters, clock: WallClock = .system) {
        self.database = database
        self.letters = letters
        self.clock = clock
        self.access = CaseAccess(database: database)
    }

    /// The same service reading `clock` (a test's moment, or one "now" for a batch).
    public func reading(_ clock: WallClock) -> CaseService { CaseService(database: database, letters: letters, clock: clock) }

    // MARK: people

    /// The team a case belongs to when nobody chose another. Migration 0011 creates it in every
    /// council and makes it the default of `applications.team`.
    public static let defaultTeam = "General casework"

    /// Records a person. Unless `confirmedNew`, refuses when the council may already know them
    /// (similar name with the same date of birth, postcode or NI number), listing the matches
    /// among the people `visibleTeams` may see (nil: everyone; see `possibleDuplicates`).
    ///
    /// An NI number is one person's, so entering it again is refused, naming the clash, when the
    /// officer can see the record that holds it. When that record is seen only through other
    /// teams' cases, any refusal, whatever its wording, would tell a team-confined officer that the
    /// number is on another team's books, and attaching the application to that record would show
    /// them its details. So the new record is kept exactly as typed and linked to the existing one
    /// (`same_nino_as`) for those who see both to reconcile: the officer sees what they would have
    /// seen had the number been new, and no record they may not see is shown or changed. Entries
    /// of one number are serialised by a lock, so two at once cannot both pass the check.
    public func addPerson(
        _ scope: TenantScope, _ details: PersonDetails, confirmedNew: Bool, visibleTeams: Set<String>?, as actor: Actor,
        logger: Logger
    ) async throws -> UUID {
        let issues = details.problems()
        guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
        return try await Self.refusingSecondNINO {
            try await access.run(scope, logger: logger) { conn in
                try await insertPerson(conn, details, confirmedNew: confirmedNew, visibleTeams: visibleTeams, as: actor, logger)
            }
        }
    }

    /// Takes in an application with its applicant as one step: the person is recorded (or the
    /// possible duplicates are named) and the application opened, or neither.
    public func takeIn(
        _ scope: TenantScope, _ details: PersonDetails, confirmedNew: Bool, _ application: NewApplication, as actor: Actor,
        logger: Logger
    ) async throws -> String {
        let issues = details.problems() + application.problems()
        guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
        let now = clock.now()
        return try await Self.refusingSecondNINO {
            try await access.run(scope, logger: logger) { conn in
                var application = application
                application.personID = try await insertPerson(
                    conn, details, confirmedNew: confirmedNew, visibleTeams: actor.visibleTeams(through: [.viewCase, .editCase]),
                    as: actor, logger)
                return try await insertApplication(conn, application, as: actor, now: now, logger)
            }
        }
    }

    /// Only an entry that bypassed the NI number lock can break the unique index; it is refused
    /// like any second entry of a number.
    private static func refusingSecondNINO<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw Self.ninoOnRecord
        }
    }

    private func insertPerson(
        _ conn: PostgresConnection, _ details: PersonDetails, confirmedNew: Bool, visibleTeams: Set<String>?, as actor: Actor,
        _ logger: Logger
    ) async throws -> UUID {
        let officer = actor.officer
        guard let postcode = UKFormats.postcode(details.postcode) else { throw CaseworkError.invalid(details.problems()) }
        let nino = UKFormats.nino(details.nino)
        let name = details.fullName.trimmingCharacters(in: .whitespaces)
        let email = details.email.isEmpty ? nil : details.email
        let phone = details.phone.isEmpty ? nil : details.phone
        let visible = visibleTeams.map { $0.sorted() }
        try CaseAccess.check(actor, .editCase, .none, resource: "person", hidden: CaseworkError.noSuchPerson)
        if !confirmedNew {
            let matches = try await Self.duplicates(conn, details, visibleTeams: visibleTeams, logger)
            if !matches.isEmpty { throw CaseworkError.possibleDuplicates(matches) }
        }
        var sameNINOAs: UUID?
        if let nino {
            // Keyed by schema too, so councils never wait on each other's entries.
            _ = try await conn.query(
                "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':people.nino:' || \(nino), 0))",
                logger: logger
            ).collect()
            var holders: [(id: UUID, linked: Bool, visible: Bool)] = []
            for try await row in try await conn.query(
                """
                SELECT p.id, p.same_nino_as IS NOT NULL,
                    \(visible)::text[] IS NULL
                    OR EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.team = ANY(\(visible)))
                FROM people p WHERE p.nino = \(nino)
                """, logger: logger
            ).decode((UUID, Bool, Bool).self) { holders.append((row.0, row.1, row.2)) }
            if holders.contains(where: \.visible) { throw Self.ninoOnRecord }
            sameNINOAs = holders.first { !$0.linked }?.id
        }
        var id: UUID?
        for try await value in try await conn.query(
            """
            INSERT INTO people (kind, full_name, date_of_birth, nino, address_line1, address_line2, town, postcode, email, phone,
                preferred_channel, vulnerable, created_by, same_nino_as)
            VALUES (\(details.isOrganisation ? "organisation" : "person"), \(name), \(details.dateOfBirth), \(nino),
                \(details.addressLine1), \(details.addressLine2), \(details.town), \(postcode), \(email), \(phone),
                \(details.preferredChannel), \(details.vulnerable), \(officer.id), \(sameNINOAs))
            RETURNING id
            """, logger: logger
        ).decode(UUID.self) { id = value }
        guard let id else { throw CaseworkError.noSuchPerson }
        try await AuditLog.record(
            actor.audit("person.add", target: id.uuidString, detail: sameNINOAs == nil ? "" : "linked to a record with the same NI number"),
            on: conn, logger: logger)
        return id
    }

    static let ninoOnRecord = CaseworkError.invalid([
        FieldIssue(field: "nino", message: "Someone with this National Insurance number is already on record")
    ])

    /// People who may be the same as `details`: a similar name (trigram similarity over 0.4)
    /// with the same date of birth, postcode or NI number. Only people with a case in
    /// `visibleTeams` count (nil: everyone), so a team-confined officer is never warned about
    /// someone known only to another team.
    public func possibleDuplicates(_ scope: TenantScope, _ details: PersonDetails, visibleTeams: Set<String>?, logger: Logger)
        async throws -> [PersonMatch]
    {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.duplicates(conn, details, visibleTeams: visibleTeams, logger)
        }
    }

    static func duplicates(_ conn: PostgresConnection, _ details: PersonDetails, visibleTeams: Set<String>?, _ logger: Logger)
        async throws -> [PersonMatch]
    {
        let name = details.fullName.trimmingCharacters(in: .whitespaces).lowercased()
        let postcode = UKFormats.postcode(details.postcode)
        let nino = UKFormats.nino(details.nino)
        let visible = visibleTeams.map { $0.sorted() }
        do {
            var matches: [PersonMatch] = []
            for try await (id, fullName, postcode, score) in try await conn.query(
                """
                SELECT id, full_name, postcode, kerb_ext.similarity(lower(full_name), \(name))::float8 AS score FROM people p
                WHERE (date_of_birth = \(details.dateOfBirth)::date OR postcode = \(postcode) OR nino = \(nino))
                  AND (kerb_ext.similarity(lower(full_name), \(name)) > 0.4 OR nino = \(nino))
                  AND (\(visible)::text[] IS NULL
                       OR EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.team = ANY(\(visible))))
                ORDER BY score DESC LIMIT 5
                """, logger: logger
            ).decode((UUID, String, String, Double).self) {
                matches.append(PersonMatch(id: id, fullName: fullName, postcode: postcode, similarity: score))
            }
            return matches
        }
    }

    // MARK: applications

    public struct NewApplication: Sendable {
        public var personID: UUID
        public var kind: ApplicationKind
        public var replaceReason: ReplacementReason?
        public var channel: Channel
        public var eligibility: Eligibility?
        /// The badge a renewal or replacement is about (required for a replacement).
        public var existingBadge: String?
        /// The applicant is an organisation: no personal eligibility criterion.
        public var forOrganisation: Bool
        /// A draft can be saved and finished later; the processing clock starts when it is received.
        public var draft: Bool
        /// The team the case belongs to; nil for the council's default team.
        public var team: String?

        public init(
            personID: UUID, kind: ApplicationKind, replaceReason: ReplacementReason? = nil, channel: Channel, eligibility: Eligibility?,
            existingBadge: String? = nil, draft: Bool = false, forOrganisation: Bool = false, team: String? = nil
        ) {
            self.team = team
            self.forOrganisation = forOrganisation
            self.existingBadge = existingBadge.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.flatMap {
                $0.isEmpty ? nil : $0
            }
            self.personID = personID
            self.kind = kind
            self.replaceReason = replaceReason
            self.channel = channel
            self.eligibility = eligibility
            self.draft = draft
        }

        public func problems() -> [FieldIssue] {
            var issues: [FieldIssue] = []
            if kind == .replace, replaceReason == nil {
                issues.append(FieldIssue(field: "replace-reason", message: "Choose why the badge needs replacing"))
            }
            if kind == .replace, existingBadge == nil {
                issues.append(FieldIssue(field: "existing-badge", message: "Enter the number of the badge being replaced"))
            }
            if !draft, eligibility == nil, kind != .replace, !forOrganisation {
                issues.append(FieldIssue(field: "eligibility", message: "Choose the eligibility criterion, or save as a draft"))
            }
            return issues
        }
    }

    /// Opens an application and returns its reference. The evidence checklist comes from the
    /// council's current local policy. The case belongs to `application.team`, or to the
    /// council's default team.
    public func open(_ scope: TenantScope, _ application: NewApplication, as actor: Actor, logger: Logger) async throws -> String {
        let issues = application.problems()
        guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
        let now = clock.now()
        return try await access.run(scope, logger: logger) { conn in
            try await insertApplication(conn, application, as: actor, now: now, logger)
        }
    }

    private func insertApplication(
        _ conn: PostgresConnection, _ application: NewApplication, as actor: Actor, now: Date, _ logger: Logger
    ) async throws -> String {
        let officer = actor.officer
        let status: ApplicationStatus = application.draft ? .draft : .received
        let receivedAt: Date? = application.draft ? nil : now
        let year = Day(now).year
        let team = application.team ?? Self.defaultTeam
        try CaseAccess.check(actor, .editCase, AccessTarget(team: team), resource: "new case", hidden: CaseworkError.noSuchPerson)
        let evidence = try await LocalPolicyStore.inForce(on: conn, logger: logger).evidence
        let checklist = [
            ("Proof of identity", evidence.proofOfIdentity), ("Proof of address", evidence.proofOfAddress), ("Photo", evidence.photo),
        ]
        .filter(\.1).map(\.0)
        var organisation: Bool?
        for try await kind in try await conn.query("SELECT kind FROM people WHERE id = \(application.personID)", logger: logger)
            .decode(String.self)
        { organisation = kind == "organisation" }
        guard let organisation else { throw CaseworkError.noSuchPerson }
        var known = false
        for try await _ in try await conn.query("SELECT 1 FROM teams WHERE name = \(team)", logger: logger).decode(Int.self) {
            known = true
        }
        guard known else { throw CaseworkError.invalid([FieldIssue(field: "team", message: "Choose one of the council's teams")]) }
        var eligibility = application.eligibility
        if let existing = application.existingBadge {
            var found: (UUID, String, String, Bool)?
            for try await row in try await conn.query(
                """
                SELECT person_id, eligibility, status, expiry_date < (now() AT TIME ZONE 'Europe/London')::date
                FROM badges WHERE badge_number = \(existing)
                """, logger: logger
            ).decode((UUID, String, String, Bool).self) { found = row }
            guard let found, found.0 == application.personID else {
                throw CaseworkError.invalid([FieldIssue(field: "existing-badge", message: "This person has no badge with that number")])
            }
            if application.kind == .replace, found.2 != "ISSUED" || found.3 {
                throw CaseworkError.invalid([
                    FieldIssue(field: "existing-badge", message: "Only an issued badge that has not expired can be replaced")
                ])
            }
            // A replacement carries the badge's eligibility; nobody is reassessed for a lost badge.
            if application.kind == .replace, eligibility == nil { eligibility = Eligibility(rawValue: found.1) }
        }
        if !application.draft, eligibility == nil, !organisation {
            throw CaseworkError.invalid([
                FieldIssue(field: "eligibility", message: "Choose the eligibility criterion, or save as a draft")
            ])
        }
        var number = 0
        for try await value in try await conn.query("SELECT nextval('application_numbers')::int", logger: logger).decode(Int.self) {
            number = value
        }
        let reference = String(format: "BB-%04d-%06d", year, number)
        var id: UUID?
        for try await value in try await conn.query(
            """
            INSERT INTO applications (reference, person_id, kind, replace_reason, channel, eligibility, status, received_at, created_by,
                existing_badge, for_organisation, team)
            VALUES (\(reference), \(application.personID), \(application.kind.rawValue), \(application.replaceReason?.rawValue),
                \(application.channel.rawValue), \(eligibility?.rawValue), \(status.rawValue), \(receivedAt), \(officer.id),
                \(application.existingBadge), \(organisation), \(team))
            RETURNING id
            """, logger: logger
        ).decode(UUID.self) { id = value }
        guard let id else { throw CaseworkError.noSuchCase }
        for kind in checklist {
            _ = try await conn.query("INSERT INTO evidence_items (application_id, kind) VALUES (\(id), \(kind))", logger: logger)
        }
        try await Self.event(
            conn, id, officer, application.draft ? "draft-saved" : "received",
            "\(application.kind.rawValue) via \(application.channel.rawValue), team \(team)", logger)
        if !application.draft { try await letter(.acknowledgement, conn, id, officer, [:], now, logger) }
        try await AuditLog.record(
            actor.audit("case.open", target: reference, detail: application.draft ? "draft" : "received"),
            before: nil, after: try await Self.state(conn, id, logger), on: conn, logger: logger)
        return reference
    }

    /// Finishes a draft: it is received now and its clock starts.
    public func submit(_ scope: TenantScope, reference: String, eligibility: Eligibility, as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.draft], action: "submitted", audit: "case.submit", logger: logger
        ) {
            conn, id, _, now in
            _ = try await conn.query(
                "UPDATE applications SET status = 'RECEIVED', received_at = \(now), eligibility = \(eligibility.rawValue) WHERE id = \(id)",
                logger: logger)
            try await Self.event(conn, id, officer, "received", "draft completed", logger)
            try await letter(.acknowledgement, conn, id, officer, [:], now, logger)
            return "draft completed"
        }
    }

    public func assign(_ scope: TenantScope, reference: String, to user: Officer?, team: String?, as actor: Actor, logger: Logger)
        async throws
    {
        let officer = actor.officer
        if user != nil || team != nil {
            let known = try await assignees(scope, logger: logger)
            if let user, !known.people.contains(where: { $0.id == user.id }) {
                throw CaseworkError.invalid([FieldIssue(field: "assign-user", message: "Choose a colleague who can view cases")])
            }
            if let team, !known.teams.contains(team) {
                throw CaseworkError.invalid([FieldIssue(field: "assign-team", message: "Choose one of the council's teams")])
            }
        }
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed], action: "assigned",
            audit: "case.assign", logger: logger
        ) { conn, id, _, _ in
            _ = try await conn.query(
                "UPDATE applications SET assigned_to = \(user?.id), team = coalesce(\(team), team) WHERE id = \(id)", logger: logger)
            let detail = [user?.name, team.map { "team \($0)" }].compactMap { $0 }.joined(separator: ", ")
            try await Self.event(conn, id, officer, "assigned", detail, logger)
            return detail
        }
    }

    /// Records the assessment; the assessor may not then decide the case.
    public func assess(_ scope: TenantScope, reference: String, findings: String, as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        let findings = findings.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !findings.isEmpty else {
            throw CaseworkError.invalid([FieldIssue(field: "findings", message: "Enter what the assessment found")])
        }
        try await change(
            scope, reference, .assessCase, as: actor, allowed: [.received, .awaitingApplicant], action: "assessed", audit: "case.assess",
            logger: logger
        ) { conn, id, _, now in
            _ = try await conn.query(
                """
                UPDATE applications SET status = 'ASSESSED', assessed_by = \(officer.id), assessed_at = \(now), assessment = \(findings)
                WHERE id = \(id)
                """, logger: logger)
            try await Self.event(conn, id, officer, "assessed", findings, logger)
            return "assessed"
        }
    }

    public enum Outcome: String, Sendable, Codable { case approved = "APPROVED", refused = "REFUSED" }

    /// Decides a case. A refusal needs at least one reason and a rationale; a review is offered
    /// unless the application came by an automatic route (seed 001 rec 4). Whoever assessed the
    /// case may not decide it (also checked by the policy engine before this is called).
    public func decide(
        _ scope: TenantScope, reference: String, outcome: Outcome, reasons: [RefusalReason], rationale: String, as actor: Actor,
        logger: Logger
    ) async throws {
        let officer = actor.officer
        let rationale = rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        if outcome == .refused {
            var issues: [FieldIssue] = []
            if reasons.isEmpty { issues.append(FieldIssue(field: "reasons", message: "A refusal must give at least one reason")) }
            if rationale.isEmpty { issues.append(FieldIssue(field: "rationale", message: "Explain the refusal in your own words")) }
            guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
        }
        try await change(
            scope, reference, .decideCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed], action: "decided",
            audit: "case.decide", separatingAssessor: true, logger: logger
        ) { conn, id, row, now in
            guard row.assessedBy != officer.id else { throw CaseworkError.assessorCannotDecide }
            let reviewOffered = outcome == .refused && !(row.eligibility?.isAutomatic ?? false)
            let codes = reasons.map(\.rawValue)
            _ = try await conn.query(
                """
                INSERT INTO decisions (application_id, outcome, reasons, rationale, review_offered, decided_by, decided_at)
                VALUES (\(id), \(outcome.rawValue), \(codes), \(rationale), \(reviewOffered), \(officer.id), \(now))
                """, logger: logger)
            _ = try await conn.query(
                "UPDATE applications SET status = \(outcome.rawValue), decided_at = \(now) WHERE id = \(id)", logger: logger)
            let detail =
                outcome == .approved
                ? "approved"
                : "refused: \(codes.joined(separator: ", "))" + (reviewOffered ? "; review offered" : "; automatic route, no review")
            try await Self.event(conn, id, officer, "decided", detail, logger)
            try await letter(
                outcome == .approved ? .approval : .refusal, conn, id, officer,
                ["reasons": reasons.map(\.text), "rationale": rationale, "reviewOffered": reviewOffered], now, logger)
            return detail
        }
    }

    /// Asks the applicant for evidence: the items are marked requested, the case waits for the
    /// applicant and, if local policy says so, its processing clock stops until they arrive.
    public func requestEvidence(_ scope: TenantScope, reference: String, items: [String], as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        let items = items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw CaseworkError.invalid([FieldIssue(field: "items", message: "Choose or enter what is needed")]) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed],
            action: "sent an evidence request", audit: "case.request-evidence", logger: logger
        ) { conn, id, _, now in
            let pauseClock = try await LocalPolicyStore.inForce(on: conn, logger: logger).casework.pauseClockAwaitingApplicant
            for item in items {
                _ = try await conn.query(
                    """
                    INSERT INTO evidence_items (application_id, kind, requested_at) VALUES (\(id), \(item), \(now))
                    ON CONFLICT (application_id, kind) DO UPDATE SET requested_at = excluded.requested_at, received_at = NULL
                    """, logger: logger)
            }
            _ = try await conn.query("UPDATE applications SET status = 'AWAITING_APPLICANT' WHERE id = \(id)", logger: logger)
            var paused = false
            for try await _ in try await conn.query(
                "SELECT 1 FROM clock_pauses WHERE application_id = \(id) AND resumed_at IS NULL", logger: logger
            ).decode(Int.self) { paused = true }
            if pauseClock, !paused {
                _ = try await conn.query(
                    "INSERT INTO clock_pauses (application_id, paused_at, reason) VALUES (\(id), \(now), 'waiting for evidence')",
                    logger: logger)
            }
            let detail = items.joined(separator: ", ") + (pauseClock ? "; clock paused" : "")
            try await Self.event(conn, id, officer, "evidence-requested", detail, logger)
            try await letter(.evidenceRequest, conn, id, officer, ["items": items], now, logger)
            return detail
        }
    }

    /// Records evidence received. When nothing requested is outstanding, the case is back with
    /// the council and its clock runs again.
    public func receiveEvidence(_ scope: TenantScope, reference: String, items: [String], as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        guard !items.isEmpty else { throw CaseworkError.invalid([FieldIssue(field: "received", message: "Choose what has arrived")]) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: [.received, .awaitingApplicant, .assessed], action: "given evidence",
            audit: "case.receive-evidence", logger: logger
        ) { conn, id, _, now in
            for item in items {
                _ = try await conn.query(
                    """
                    INSERT INTO evidence_items (application_id, kind, received_at) VALUES (\(id), \(item), \(now))
                    ON CONFLICT (application_id, kind) DO UPDATE SET received_at = excluded.received_at
                    """, logger: logger)
            }
            var outstanding = 0
            for try await count in try await conn.query(
                "SELECT count(*)::int FROM evidence_items WHERE application_id = \(id) AND requested_at IS NOT NULL AND received_at IS NULL",
                logger: logger
            ).decode(Int.self) { outstanding = count }
            if outstanding == 0 {
                _ = try await conn.query(
                    "UPDATE applications SET status = 'RECEIVED' WHERE id = \(id) AND status = 'AWAITING_APPLICANT'", logger: logger)
                _ = try await conn.query(
                    "UPDATE clock_pauses SET resumed_at = \(now) WHERE application_id = \(id) AND resumed_at IS NULL", logger: logger)
            }
            let detail = items.joined(separator: ", ") + (outstanding == 0 ? "; clock running" : "")
            try await Self.event(conn, id, officer, "evidence-received", detail, logger)
            return detail
        }
    }

    /// Opens a review of a refusal that offered one, requested now. Its clock runs in working days
    /// of the council's nation (local policy `review_response_working_days`); returns the due date.
    @discardableResult
    public func requestReview(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> Date {
        let officer = actor.officer
        return try await step(
            scope, reference, .editCase, as: actor, allowed: [.refused], action: "reviewed", audit: "case.request-review",
            logger: logger
        ) { conn, id, _, requestedAt in
            let (policy, nation) = try await LocalPolicyStore.inForceWithNation(on: conn, logger: logger)
            let due = WorkingDays(nation: nation).adding(policy.casework.reviewResponseWorkingDays, to: requestedAt)
            var offered = false
            for try await value in try await conn.query(
                """
                SELECT d.review_offered AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.application_id = d.application_id)
                FROM decisions d WHERE d.application_id = \(id)
                """, logger: logger
            ).decode(Bool.self) { offered = value }
            guard offered else { throw CaseworkError.reviewNotAvailable }
            _ = try await conn.query(
                "INSERT INTO reviews (application_id, requested_at, due_on, status) VALUES (\(id), \(requestedAt), \(Self.isoDay(due))::date, 'OPEN')",
                logger: logger)
            try await Self.event(conn, id, officer, "review-requested", "due \(Self.isoDay(due))", logger)
            return ("due \(Self.isoDay(due))", due)
        }
    }

    /// Decides an open review: upheld keeps the refusal, overturned approves the application.
    /// The rationale is kept; whoever made the original decision may not review it.
    public func decideReview(
        _ scope: TenantScope, reference: String, overturn: Bool, rationale: String, as actor: Actor, logger: Logger
    ) async throws {
        let officer = actor.officer
        let rationale = rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !rationale.isEmpty else {
            throw CaseworkError.invalid([FieldIssue(field: "review-rationale", message: "Explain the review's outcome")])
        }
        try await change(
            scope, reference, .decideCase, as: actor, allowed: [.refused], action: "reviewed", audit: "case.decide-review", logger: logger
        ) { conn, id, _, now in
            var found: (UUID, UUID)?
            for try await row in try await conn.query(
                """
                SELECT r.id, d.decided_by FROM reviews r JOIN decisions d ON d.application_id = r.application_id
                WHERE r.application_id = \(id) AND r.status = 'OPEN' FOR UPDATE OF r
                """, logger: logger
            ).decode((UUID, UUID).self) { found = row }
            guard let (reviewID, originalDecider) = found else { throw CaseworkError.reviewNotAvailable }
            guard originalDecider != officer.id else { throw CaseworkError.reviewerMadeTheDecision }
            let status = overturn ? "OVERTURNED" : "UPHELD"
            _ = try await conn.query(
                """
                UPDATE reviews SET status = \(status), rationale = \(rationale), decided_by = \(officer.id), decided_at = \(now)
                WHERE id = \(reviewID)
                """, logger: logger)
            if overturn {
                _ = try await conn.query(
                    "UPDATE applications SET status = 'APPROVED', decided_at = \(now) WHERE id = \(id)", logger: logger)
            }
            try await Self.event(conn, id, officer, "review-decided", "\(status.lowercased()): \(rationale)", logger)
            try await letter(.reviewOutcome, conn, id, officer, ["overturned": overturn, "rationale": rationale], now, logger)
            return status.lowercased()
        }
    }

    private func letter(
        _ kind: LetterKind, _ conn: PostgresConnection, _ id: UUID, _ officer: Officer, _ extra: [String: any Sendable], _ now: Date,
        _ logger: Logger
    ) async throws {
        try await CaseLetters(letters: letters).record(kind, conn, id, officer, extra, now: now, logger)
    }

    static func longDate(_ date: Date) -> String {
        date.formatted(
            Date.FormatStyle(
                date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: TimeZone(identifier: "Europe/London")!))
    }

    static func isoDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    public func addNote(_ scope: TenantScope, reference: String, body: String, as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw CaseworkError.invalid([FieldIssue(field: "note", message: "Enter the note")]) }
        try await change(
            scope, reference, .editCase, as: actor, allowed: Set(ApplicationStatus.allCases), action: "noted", audit: "case.note",
            logger: logger
        ) { conn, id, _, _ in
            _ = try await conn.query(
                "INSERT INTO application_notes (application_id, author_id, body) VALUES (\(id), \(officer.id), \(body))", logger: logger)
            try await Self.event(conn, id, officer, "note", String(body.prefix(80)), logger)
            return "note of \(body.count) characters"
        }
    }

    // MARK: reading

    /// What the rules need to know about a case before acting on it.
    public struct CaseRow: Sendable {
        public let id: UUID
        public let status: ApplicationStatus
        public let eligibility: Eligibility?
        /// Every case belongs to a team (the council's default one unless put in another).
        public let team: String
        public let assignedTo: UUID?
        public let assessedBy: UUID?
        /// The audited fields as they were when the row was read (see `stateColumns`).
        let state: String
    }

    /// The audited fields of a case, as a JSON object: what its audit rows compare before and
    /// after a step. Free text (the assessment, medical findings) is recorded by length only:
    /// the audit trail's readers need not see a case to see who changed it.
    static let stateColumns = """
        jsonb_build_object('status', status, 'team', team, 'assigned_to', assigned_to, 'eligibility', eligibility,
            'received_at', received_at, 'assessed_by', assessed_by, 'assessed_at', assessed_at,
            'assessment_characters', length(assessment), 'decided_at', decided_at)::text
        """

    static func state(_ conn: PostgresConnection, _ id: UUID, _ logger: Logger) async throws -> String? {
        for try await value in try await conn.query("SELECT \(unescaped: stateColumns) FROM applications WHERE id = \(id)", logger: logger)
            .decode(String.self)
        { return value }
        return nil
    }

    static func row(_ conn: PostgresConnection, _ reference: String, lock: Bool, _ logger: Logger) async throws -> CaseRow {
        let query: PostgresQuery =
            lock
            ? """
            SELECT id, status, eligibility, team, assigned_to, assessed_by, \(unescaped: stateColumns)
            FROM applications WHERE reference = \(reference) FOR UPDATE
            """
            : """
            SELECT id, status, eligibility, team, assigned_to, assessed_by, \(unescaped: stateColumns)
            FROM applications WHERE reference = \(reference)
            """
        for try await (id, status, eligibility, team, assigned, assessed, state) in try await conn.query(query, logger: logger)
            .decode((UUID, String, String?, String, UUID?, UUID?, String).self)
        {
            return CaseRow(
                id: id, status: ApplicationStatus(rawValue: status) ?? .draft,
                eligibility: eligibility.flatMap(Eligibility.init(rawValue:)),
                team: team, assignedTo: assigned, assessedBy: assessed, state: state)
        }
        throw CaseworkError.noSuchCase
    }

    /// The case named `reference`, locked, once `actor` may do `permission` to it (its team, and
    /// with `separatingAssessor`, whether they assessed it), in the caller's transaction. Another
    /// team's case answers as a missing one.
    static func authorised(
        _ conn: PostgresConnection, _ reference: String, _ permission: Permission, as actor: Actor, lock: Bool,
        separatingAssessor: Bool = false, _ logger: Logger
    ) async throws -> CaseRow {
        let row = try await Self.row(conn, reference, lock: lock, logger)
        let target = AccessTarget(team: row.team, assessedBy: separatingAssessor ? row.assessedBy : nil)
        try CaseAccess.check(actor, permission, target, resource: reference, hidden: CaseworkError.noSuchCase)
        return row
    }

    /// One casework step as one transaction: lock the case, decide access, check its status allows
    /// `action`, run `body` (the change and its timeline entry; it returns the audit detail and a
    /// result), then write the audit row `audit` with the fields that changed.
    func step<T: Sendable>(
        _ scope: TenantScope, _ reference: String, _ permission: Permission, as actor: Actor, allowed: Set<ApplicationStatus>,
        action: String, audit: String, separatingAssessor: Bool = false, logger: Logger,
        _ body: (PostgresConnection, UUID, CaseRow, Date) async throws -> (String, T)
    ) async throws -> T {
        let now = clock.now()
        return try await access.run(scope, logger: logger) { conn in
            let row = try await Self.authorised(
                conn, reference, permission, as: actor, lock: true, separatingAssessor: separatingAssessor, logger)
            guard allowed.contains(row.status) else { throw CaseworkError.wrongStatus(row.status, action: action) }
            let (detail, result) = try await body(conn, row.id, row, now)
            try await AuditLog.record(
                actor.audit(audit, target: reference, detail: detail), before: row.state,
                after: try await Self.state(conn, row.id, logger), on: conn, logger: logger)
            return result
        }
    }

    func change(
        _ scope: TenantScope, _ reference: String, _ permission: Permission, as actor: Actor, allowed: Set<ApplicationStatus>,
        action: String, audit: String, separatingAssessor: Bool = false, logger: Logger,
        _ body: (PostgresConnection, UUID, CaseRow, Date) async throws -> String
    ) async throws {
        try await step(
            scope, reference, permission, as: actor, allowed: allowed, action: action, audit: audit,
            separatingAssessor: separatingAssessor, logger: logger
        ) {
            conn, id, row, now in (try await body(conn, id, row, now), ())
        }
    }

    static func event(_ conn: PostgresConnection, _ id: UUID, _ officer: Officer, _ kind: String, _ detail: String, _ logger: Logger)
        async throws
    {
        _ = try await conn.query(
            """
            INSERT INTO application_events (application_id, actor_id, actor, kind, detail)
            VALUES (\(id), \(officer.id), \(officer.name), \(kind), \(detail))
            """, logger: logger)
    }
}
