import Foundation
import Logging
import PostgresNIO

/// The one place that takes personal data out of a council's records while keeping the rows
/// (references, dates, outcomes, counts and the audit trail still add up): used by erasure on
/// request and by the retention pass. Runs in the caller's transaction; returns the documents
/// whose rows it deleted, so the caller removes their blobs after the commit.
enum Anonymiser {
    static let erased = "[erased]"

    /// Free text of applications `ids` (notes, letters, assessment, decision and review
    /// reasons) replaced, their documents' rows deleted, and the time recorded.
    static func applications(_ ids: [UUID], on conn: PostgresConnection, logger: Logger) async throws -> [UUID] {
        guard !ids.isEmpty else { return [] }
        _ = try await conn.query(
            """
            WITH notes AS (UPDATE application_notes SET body = \(erased) WHERE application_id = ANY(\(ids)) RETURNING 1),
            messages AS (UPDATE messages SET body = \(erased), subject = '', addressee = \(erased), recipient = \(erased),
                state = CASE WHEN state IN ('queued', 'held') THEN 'cancelled' ELSE state END
                WHERE application_id = ANY(\(ids)) RETURNING 1),
            decisions AS (UPDATE decisions SET rationale = \(erased) WHERE application_id = ANY(\(ids)) AND rationale <> '' RETURNING 1),
            reviews AS (UPDATE reviews SET rationale = \(erased) WHERE application_id = ANY(\(ids)) AND rationale IS NOT NULL RETURNING 1),
            events AS (UPDATE application_events SET detail = \(erased) WHERE application_id = ANY(\(ids)) AND kind = 'rectified' RETURNING 1)
            UPDATE applications SET assessment = CASE WHEN assessment IS NULL THEN NULL ELSE \(erased) END,
                anonymised_at = coalesce(anonymised_at, now())
            WHERE id = ANY(\(ids))
            """, logger: logger)
        var documents: [UUID] = []
        for try await id in try await conn.query(
            "DELETE FROM documents WHERE application_id = ANY(\(ids)) RETURNING id", logger: logger
        ).decode(UUID.self) { documents.append(id) }
        return documents
    }

    /// Person `id`'s details replaced ("Erased person", no date of birth, NI number, address or
    /// contact), their representatives removed, old values of corrections blanked, and every
    /// application of theirs anonymised.
    static func person(_ id: UUID, on conn: PostgresConnection, logger: Logger) async throws -> [UUID] {
        _ = try await conn.query(
            """
            WITH reps AS (DELETE FROM representatives WHERE person_id = \(id) RETURNING 1),
            corrections AS (UPDATE rectifications SET old_value = \(erased), new_value = \(erased), reason = \(erased)
                WHERE person_id = \(id) RETURNING 1),
            messages AS (UPDATE messages SET body = \(erased), subject = '', addressee = \(erased), recipient = \(erased),
                state = CASE WHEN state IN ('queued', 'held') THEN 'cancelled' ELSE state END
                WHERE person_id = \(id) AND application_id IS NULL RETURNING 1)
            UPDATE people SET full_name = 'Erased person', date_of_birth = NULL, nino = NULL, address_line1 = '',
                address_line2 = '', town = '', postcode = '', email = NULL, phone = NULL, vulnerable = false,
                preferred_channel = 'letter', erased_at = now()
            WHERE id = \(id) AND erased_at IS NULL
            """, logger: logger)
        var applications: [UUID] = []
        for try await application in try await conn.query("SELECT id FROM applications WHERE person_id = \(id)", logger: logger)
            .decode(UUID.self)
        { applications.append(application) }
        return try await Self.applications(applications, on: conn, logger: logger)
    }

    /// Enforcement cases `ids`: who reported, where, the vehicle, what was seen and why it was
    /// closed as it was, replaced, and their photographs and files deleted; the outcome and
    /// dates stay.
    static func enforcement(_ ids: [UUID], on conn: PostgresConnection, logger: Logger) async throws -> [UUID] {
        guard !ids.isEmpty else { return [] }
        _ = try await conn.query(
            """
            WITH evidence AS (UPDATE enforcement_evidence SET description = \(erased) WHERE case_id = ANY(\(ids)) RETURNING 1)
            UPDATE enforcement_cases SET reported_by = \(erased), location = \(erased), vehicle_registration = '',
                observation = \(erased), outcome_rationale = CASE WHEN outcome_rationale IS NULL THEN NULL ELSE \(erased) END,
                anonymised_at = now()
            WHERE id = ANY(\(ids))
            """, logger: logger)
        var documents: [UUID] = []
        for try await id in try await conn.query(
            "DELETE FROM documents WHERE enforcement_case_id = ANY(\(ids)) RETURNING id", logger: logger
        ).decode(UUID.self) { documents.append(id) }
        return documents
    }
}
