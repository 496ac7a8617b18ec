import Audit
import Communications
import Foundation
import KerbCore
import Logging
import NationalBlueBadge
import Policy
import PostgresNIO
import Storage

/// Brings applications made on GOV.UK's national online form into the council's casework: the
/// applicant (matched by NI number, else recorded, with possible duplicates flagged on the case),
/// the application in the scheme's codes with its submission time as the clock's start, the
/// documents the form collected ticked off the evidence checklist, and a fee the form already took.
/// Each imported application is marked INPROGRESS nationally so it is not taken twice.
public struct OnlineApplications: Sendable {
    public let cases: CaseService
    let caseLetters: CaseLetters

    public init(cases: CaseService) {
        self.cases = cases
        self.caseLetters = CaseLetters(outbox: cases.outbox)
    }

    public struct Outcome: Sendable, Equatable {
        public var imported: [String] = []
        /// National ids not imported, with why (bad data is left for a person to look at).
        public var skipped: [String] = []
    }

    /// Imports every application submitted in the last `days` days not yet in Kerb, as cases of
    /// `team` (nil: the council's default team).
    public func importNew(
        _ scope: TenantScope, client: NationalBlueBadgeClient, localAuthority: String, days: Int = 90, team: String? = nil,
        as actor: Actor, logger: Logger
    ) async throws -> Outcome {
        let now = cases.clock.now()
        var summaries: [ApplicationSummary] = []
        var page = 1
        while true {
            let result = try await client.findApplications(
                localAuthority: localAuthority, from: now.addingTimeInterval(-Double(days) * 86_400), to: now, page: page, pageSize: 200)
            summaries += result.data
            guard page < result.pagingInfo.pages else { break }
            page += 1
        }
        let known = try await cases.database.transaction(scope, logger: logger) { conn in
            var ids: Set<String> = []
            for try await id in try await conn.query("SELECT national_id FROM applications WHERE national_id IS NOT NULL", logger: logger)
                .decode(String.self)
            { ids.insert(id) }
            return ids
        }
        var outcome = Outcome()
        for summary in summaries where !known.contains(summary.applicationId.uuidString.lowercased()) {
            let application = try await client.application(id: summary.applicationId)
            do {
                let reference = try await record(scope, application, team: team, as: actor, logger: logger)
                try await client.setApplicationStatus(id: summary.applicationId, "INPROGRESS")
                outcome.imported.append(reference)
            } catch let error as CaseworkError {
                outcome.skipped.append("\(summary.applicationId): \(error.publicDetail)")
            }
        }
        return outcome
    }

    /// Records one application as a case of `team`. The applicant is matched, and look-alikes
    /// flagged, only among people with cases in that team: the case's timeline is read by the
    /// team, so it names nobody known only to another team, and the case never shows another
    /// team's applicant record (a number held there gets a linked record of its own, as in
    /// `CaseService.addPerson`).
    func record(
        _ scope: TenantScope, _ application: NationalApplication, team: String? = nil, as actor: Actor, logger: Logger
    ) async throws -> String {
        let officer = actor.officer
        let now = cases.clock.now()
        guard let nationalID = application.applicationId?.uuidString.lowercased() else { throw CaseworkError.noSuchCase }
        guard let kind = ApplicationKind(rawValue: application.applicationTypeCode) else {
            throw CaseworkError.invalid([
                FieldIssue(field: "kind", message: "\(application.applicationTypeCode) applications are not casework")
            ])
        }
        guard let person = application.party.person else {
            throw CaseworkError.invalid([FieldIssue(field: "party", message: "Organisation applications are entered by hand")])
        }
        let contact = application.party.contact
        let details = PersonDetails(
            fullName: person.badgeHolderName, dateOfBirth: Day(iso: person.dob)?.utcMidnight, nino: person.nino ?? "",
            addressLine1: contact.buildingStreet, addressLine2: contact.line2 ?? "", town: contact.townCity, postcode: contact.postCode,
            email: contact.emailAddress ?? "", phone: contact.primaryPhoneNumber,
            preferredChannel: contact.emailAddress == nil ? "letter" : "email", vulnerable: false)
        let submitted = NationalDate.parseInstant(application.submissionDate) ?? now
        let eligibility = application.eligibility.flatMap { Eligibility(rawValue: $0.typeCode) }
        let team = team ?? CaseService.defaultTeam
        // Same person already on record in the team (by NI number)? Otherwise a new record, with
        // any look-alikes flagged on the case for an officer to check.
        let existing = try await cases.access.run(scope, logger: logger) { conn in
            try CaseAccess.check(actor, .editCase, AccessTarget(team: team), resource: "import", hidden: CaseworkError.noSuchCase)
            var id: UUID?
            if let nino = UKFormats.nino(person.nino ?? "") {
                for try await value in try await conn.query(
                    """
                    SELECT p.id FROM people p WHERE p.nino = \(nino)
                      AND EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.team = \(team))
                    ORDER BY p.same_nino_as IS NOT NULL, p.created_at LIMIT 1
                    """, logger: logger
                ).decode(UUID.self) { id = value }
            }
            return id
        }
        let lookAlikes = existing == nil ? try await cases.possibleDuplicates(scope, details, visibleTeams: [team], logger: logger) : []
        let personID: UUID
        if let existing {
            personID = existing
        } else {
            personID = try await cases.addPerson(scope, details, confirmedNew: true, visibleTeams: [team], as: actor, logger: logger)
        }
        return try await cases.database.transaction(scope, logger: logger) { conn in
            let policy = try await LocalPolicyStore.inForce(scope, on: conn, logger: logger)
            var number = 0
            for try await value in try await conn.query("SELECT nextval('application_numbers')::int", logger: logger).decode(Int.self) {
                number = value
            }
            let reference = String(format: "BB-%04d-%06d", Day(now).year, number)
            var ownBadge: String?
            if let badge = application.existingBadgeNumber?.uppercased() {
                for try await value in try await conn.query(
                    "SELECT badge_number FROM badges WHERE badge_number = \(badge) AND person_id = \(personID)", logger: logger
                ).decode(String.self) { ownBadge = value }
            }
            let walking: String? = application.eligibility?.walkingDifficulty.flatMap {
                try? String(decoding: JSONEncoder().encode($0), as: UTF8.self)
            }
            let replaceReason: String? = kind == .replace ? "LOST" : nil
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO applications (reference, person_id, kind, replace_reason, channel, eligibility, walking, status, received_at,
                    national_id, existing_badge, created_by, team)
                VALUES (\(reference), \(personID), \(kind.rawValue), \(replaceReason), 'ONLINE', \(eligibility?.rawValue), \(walking)::jsonb,
                    \(eligibility == nil ? "DRAFT" : "RECEIVED"), \(eligibility == nil ? nil : submitted), \(nationalID), \(ownBadge),
                    \(officer.id), \(team))
                RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            guard let applicationID = id else { throw CaseworkError.noSuchCase }
            // The form collects documents: tick off what it sent.
            let sent = Set((application.artifacts ?? []).map(\.type))
            let checklist: [(String, Bool, String)] = [
                ("Proof of identity", policy.evidence.proofOfIdentity, "PROOF_ID"),
                ("Proof of address", policy.evidence.proofOfAddress, "PROOF_ADD"), ("Photo", policy.evidence.photo, "PHOTO"),
            ]
            for (item, asked, artifact) in checklist where asked {
                let received: Date? = sent.contains(artifact) ? submitted : nil
                _ = try await conn.query(
                    "INSERT INTO evidence_items (application_id, kind, received_at) VALUES (\(applicationID), \(item), \(received))",
                    logger: logger)
            }
            if application.paymentTaken, let paymentReference = application.paymentReference, policy.badge.feePence > 0 {
                try await FeePayments.recordNationalPayment(
                    conn, applicationID, reference: paymentReference, amountPence: policy.badge.feePence, at: submitted, logger)
            }
            try await CaseService.event(
                conn, applicationID, officer, "imported",
                "\(kind.rawValue) from the national online form (\(nationalID))"
                    + (application.paymentTaken ? "; fee paid online, reference \(application.paymentReference ?? "unknown")" : ""),
                logger)
            if !lookAlikes.isEmpty {
                try await CaseService.event(
                    conn, applicationID, officer, "possible-duplicate",
                    "check against " + lookAlikes.map { "\($0.fullName), \($0.postcode)" }.joined(separator: "; "), logger)
            }
            if eligibility != nil {
                try await caseLetters.record(.acknowledgement, conn, applicationID, officer, [:], now: now, logger)
            }
            try await AuditLog.record(
                actor.audit("case.import", target: reference, detail: "national application \(nationalID)"), before: nil,
                after: try await CaseService.state(conn, applicationID, logger), on: conn, logger: logger)
            return reference
        }
    }
}
