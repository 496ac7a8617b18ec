import Audit
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// What an officer may correct of an applicant's details (the rest stays as stored).
public struct ApplicantCorrection: Sendable, Equatable {
    public var fullName: String
    public var dateOfBirth: Date?
    public var nino: String
    public var addressLine1: String
    public var addressLine2: String
    public var town: String
    public var postcode: String
    public var email: String
    public var phone: String

    public init(
        fullName: String, dateOfBirth: Date?, nino: String, addressLine1: String, addressLine2: String, town: String, postcode: String,
        email: String, phone: String
    ) {
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.nino = nino
        self.addressLine1 = addressLine1
        self.addressLine2 = addressLine2
        self.town = town
        self.postcode = postcode
        self.email = email
        self.phone = phone
    }

    func applied(to stored: PersonDetails) -> PersonDetails {
        var details = stored
        details.fullName = fullName
        details.dateOfBirth = dateOfBirth
        details.nino = nino
        details.addressLine1 = addressLine1
        details.addressLine2 = addressLine2
        details.town = town
        details.postcode = postcode
        details.email = email
        details.phone = phone
        return details
    }
}

/// One correction of a person's details, as the applicant page lists them.
public struct Rectification: Sendable, Equatable {
    public let field: String
    public let oldValue: String?
    public let newValue: String?
    public let reason: String
    public let by: String
    public let at: Date
}

/// Rectification (issue 11, item 5; UK GDPR article 16): an officer who may edit the case
/// corrects its applicant's details, giving a reason. Each changed field keeps its old value,
/// the reason, who and when (`rectifications`); the case's timeline says which fields changed;
/// the audit entry names the fields and the reason but not the values, because the trail is
/// never rewritten and erasure must be able to take the values away.
extension CaseService {
    /// The person's stored details, as `PersonDetails` (for the correction form and the check).
    static func details(_ conn: PostgresConnection, personID: UUID, lock: Bool, _ logger: Logger) async throws -> PersonDetails {
        var query: PostgresQuery = """
            SELECT full_name, date_of_birth::timestamp AT TIME ZONE 'UTC', coalesce(nino, ''), address_line1, address_line2, town,
                postcode, coalesce(email, ''), coalesce(phone, ''), preferred_channel, vulnerable, kind = 'organisation', erased_at IS NOT NULL
            FROM people WHERE id = \(personID)
            """
        if lock { query.sql += " FOR UPDATE" }
        for try await row in try await conn.query(query, logger: logger).decode(
            (String, Date?, String, String, String, String, String, String, String, String, Bool, Bool, Bool).self)
        {
            guard !row.12 else { throw CaseworkError.erased }
            return PersonDetails(
                fullName: row.0, dateOfBirth: row.1, nino: row.2, addressLine1: row.3, addressLine2: row.4, town: row.5, postcode: row.6,
                email: row.7, phone: row.8, preferredChannel: row.9, vulnerable: row.10, isOrganisation: row.11)
        }
        throw CaseworkError.noSuchPerson
    }

    /// The applicant of case `reference` and every correction of their details, newest first,
    /// for the applicant page (logged as a view of the case, like the case page).
    public func applicant(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> (
        PersonDetails, [Rectification]
    ) {
        try await access.run(scope, logger: logger) { conn in
            let row = try await Self.authorised(conn, reference, .viewCase, as: actor, lock: false, logger)
            let personID = try await Self.personID(conn, row.id, logger)
            let details = try await Self.details(conn, personID: personID, lock: false, logger)
            try await ViewLog.record(RecordView(.case, reference, personID: personID), by: actor.viewer, on: conn, logger: logger)
            var found: [Rectification] = []
            for try await (field, old, new, reason, by, at) in try await conn.query(
                """
                SELECT field, old_value, new_value, reason, by_name, at FROM rectifications WHERE person_id = \(personID) ORDER BY id DESC
                """, logger: logger
            ).decode((String, String?, String?, String, String, Date).self) {
                found.append(Rectification(field: Self.label(field), oldValue: old, newValue: new, reason: reason, by: by, at: at))
            }
            return (details, found)
        }
    }

    static func personID(_ conn: PostgresConnection, _ applicationID: UUID, _ logger: Logger) async throws -> UUID {
        for try await id in try await conn.query("SELECT person_id FROM applications WHERE id = \(applicationID)", logger: logger)
            .decode(UUID.self)
        { return id }
        throw CaseworkError.noSuchCase
    }

    /// Corrects the applicant of case `reference` to `corrected` (checked as at intake), for
    /// `reason`. Returns the fields that changed; nothing changed is `invalid`.
    @discardableResult
    public func rectify(
        _ scope: TenantScope, reference: String, to corrected: ApplicantCorrection, reason: String, as actor: Actor, logger: Logger
    ) async throws -> [String] {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        let today = clock.now()
        return try await access.run(scope, logger: logger) { conn in
            let row = try await Self.authorised(conn, reference, .editCase, as: actor, lock: true, logger)
            let personID = try await Self.personID(conn, row.id, logger)
            let stored = try await Self.details(conn, personID: personID, lock: true, logger)
            let updated = corrected.applied(to: stored)
            var issues = updated.problems(today: today)
            if reason.isEmpty { issues.append(FieldIssue(field: "rectify-reason", message: "Say why the details are being corrected")) }
            guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
            let changes = Self.fieldChanges(from: stored, to: updated)
            guard !changes.isEmpty else {
                throw CaseworkError.invalid([FieldIssue(field: "full-name", message: "Nothing was changed: correct at least one detail")])
            }
            let new = Self.stored(updated)
            try await CaseService.refusingSecondNINO {
                _ = try await conn.query(
                    """
                    UPDATE people SET full_name = \(new["full_name"] ?? nil), date_of_birth = \(new["date_of_birth"] ?? nil)::date,
                        nino = \(new["nino"] ?? nil), address_line1 = \(new["address_line1"] ?? nil),
                        address_line2 = \(new["address_line2"] ?? nil), town = \(new["town"] ?? nil), postcode = \(new["postcode"] ?? nil),
                        email = \(new["email"] ?? nil), phone = \(new["phone"] ?? nil)
                    WHERE id = \(personID)
                    """, logger: logger)
            }
            for change in changes {
                _ = try await conn.query(
                    """
                    INSERT INTO rectifications (person_id, field, old_value, new_value, reason, by_id, by_name)
                    VALUES (\(personID), \(change.field), \(change.old), \(change.new), \(reason), \(actor.officer.id), \(actor.officer.name))
                    """, logger: logger)
            }
            let fields = changes.map(\.field)
            try await Self.event(
                conn, row.id, actor.officer, "rectified",
                "Applicant's details corrected (\(fields.map(Self.label).joined(separator: ", "))): \(reason)", logger)
            try await AuditLog.record(
                actor.audit(
                    "person.rectify", target: personID.uuidString.lowercased(),
                    detail: "fields \(fields.joined(separator: ",")) from case \(reference); reason: \(reason)"), on: conn, logger: logger)
            return fields
        }
    }

    /// The columns a correction may change, as stored (normalised postcode and NI number, days).
    static func stored(_ details: PersonDetails) -> [String: String?] {
        func optional(_ text: String) -> String? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
        let nino = optional(details.nino).flatMap(UKFormats.nino)
        return [
            "full_name": details.fullName.trimmingCharacters(in: .whitespaces),
            "date_of_birth": details.dateOfBirth.map(Self.isoDay),
            "nino": nino,
            "address_line1": details.addressLine1.trimmingCharacters(in: .whitespaces),
            "address_line2": details.addressLine2.trimmingCharacters(in: .whitespaces),
            "town": details.town.trimmingCharacters(in: .whitespaces),
            "postcode": UKFormats.postcode(details.postcode) ?? details.postcode,
            "email": optional(details.email),
            "phone": optional(details.phone),
        ]
    }

    static let correctable = ["full_name", "date_of_birth", "nino", "address_line1", "address_line2", "town", "postcode", "email", "phone"]

    static func fieldChanges(from old: PersonDetails, to new: PersonDetails) -> [(field: String, old: String?, new: String?)] {
        let before = stored(old)
        let after = stored(new)
        return correctable.compactMap { field in
            let was = before[field] ?? nil
            let now = after[field] ?? nil
            return was == now ? nil : (field, was, now)
        }
    }

    static func label(_ field: String) -> String {
        switch field {
        case "full_name": "full name"
        case "date_of_birth": "date of birth"
        case "nino": "National Insurance number"
        case "address_line1": "address line 1"
        case "address_line2": "address line 2"
        default: field
        }
    }
}
