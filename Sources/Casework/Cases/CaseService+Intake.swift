import Audit
import Communications
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Taking a case in: the applicant (checked against people already on record) and the
/// application, opened as received or saved as a draft.
extension CaseService {
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
                return try await insertApplication(scope, conn, application, as: actor, now: now, logger)
            }
        }
    }

    /// Only an entry that bypassed the NI number lock can break the unique index; it is refused
    /// like any second entry of a number.
    static func refusingSecondNINO<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch  where DatabaseRefusal.refused(error, with: DatabaseRefusal.uniqueViolation) {
            throw Self.ninoOnRecord
        }
    }

    func insertPerson(
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
            try await insertApplication(scope, conn, application, as: actor, now: now, logger)
        }
    }

    func insertApplication(
        _ scope: TenantScope, _ conn: PostgresConnection, _ application: NewApplication, as actor: Actor, now: Date,
        _ logger: Logger
    ) async throws -> String {
        let officer = actor.officer
        let status: ApplicationStatus = application.draft ? .draft : .received
        let receivedAt: Date? = application.draft ? nil : now
        let year = Day(now).year
        let team = application.team ?? Self.defaultTeam
        try CaseAccess.check(actor, .editCase, AccessTarget(team: team), resource: "new case", hidden: CaseworkError.noSuchPerson)
        let evidence = try await LocalPolicyStore.inForce(scope, on: conn, logger: logger).evidence
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
}
