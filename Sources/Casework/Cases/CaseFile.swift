import Foundation
import Logging
import PostgresNIO
import Storage

/// Everything the case page shows, read in one transaction.
public struct CaseFile: Sendable {
    public struct Event: Sendable {
        public let at: Date
        public let actor: String
        public let kind: String
        public let detail: String
    }

    public struct Evidence: Sendable {
        public let kind: String
        public let requestedAt: Date?
        public let receivedAt: Date?
    }

    public struct Decision: Sendable {
        public let outcome: String
        public let reasons: [RefusalReason]
        public let rationale: String
        public let reviewOffered: Bool
        public let decidedAt: Date
    }

    public struct Review: Sendable {
        public let requestedAt: Date
        /// The due day, as `YYYY-MM-DD` in the council's nation.
        public let dueOn: String
        public let status: String
        public let rationale: String?
    }

    public struct Letter: Sendable {
        public let id: UUID
        public let kind: String
        public let channel: String
        public let createdAt: Date
        public let body: String
    }

    public let reference: String
    public let row: CaseService.CaseRow
    public let kind: ApplicationKind
    public let replaceReason: ReplacementReason?
    public let channel: Channel
    public let receivedAt: Date?
    public let assignedName: String?
    public let assessment: String?
    public let applicantName: String
    public let dateOfBirth: Date?
    public let address: String
    public let postcode: String
    public let vulnerable: Bool
    public let events: [Event]
    public let evidence: [Evidence]
    public let decision: Decision?
    public let review: Review?
    public let letters: [Letter]
    /// Stretches of time the processing clock stood still (waiting for the applicant).
    public let pauses: [(start: Date, end: Date?)]
    public let representatives: [Representative]

    /// Days on the processing clock: from receipt to now (or the decision), less paused time.
    public func elapsedDays(now: Date) -> Int? {
        guard let received = receivedAt else { return nil }
        let end = decisionDate ?? now
        let paused = pauses.reduce(0.0) { $0 + (min($1.end ?? end, end).timeIntervalSince($1.start)) }
        return max(0, Int((end.timeIntervalSince(received) - paused) / 86_400))
    }

    public var isPaused: Bool { pauses.contains { $0.end == nil } }
    var decisionDate: Date? { decision?.decidedAt }
}

/// A line in a work queue.
public struct CaseSummary: Sendable {
    public struct Review: Sendable {
        public let requestedAt: Date
        /// The due day, as `YYYY-MM-DD` in the council's nation.
        public let dueOn: String
        public let status: String
        public let rationale: String?
    }

    public let reference: String
    public let applicantName: String
    public let kind: ApplicationKind
    public let eligibility: Eligibility?
    public let status: ApplicationStatus
    public let receivedAt: Date?
    public let assignedName: String?
    public let team: String
    /// Days on the processing clock (paused time excluded); nil for drafts.
    public let elapsedDays: Int?
}

extension CaseService {
    /// The whole case, if `actor` may see it (another team's case answers as a missing one).
    public func file(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> CaseFile {
        try await access.run(scope, logger: logger) { conn in
            let row = try await Self.authorised(conn, reference, .viewCase, as: actor, lock: false, logger)
            var main: (String, String?, String, Date?, String?, String?, String, Date?, String, String, String, String, Bool)?
            for try await value in try await conn.query(
                """
                SELECT a.kind, a.replace_reason, a.channel, a.received_at, u.full_name, a.assessment,
                    p.full_name, p.date_of_birth, p.address_line1, p.address_line2, p.town, p.postcode, p.vulnerable
                FROM applications a JOIN people p ON p.id = a.person_id LEFT JOIN users u ON u.id = a.assigned_to
                WHERE a.id = \(row.id)
                """, logger: logger
            ).decode((String, String?, String, Date?, String?, String?, String, Date?, String, String, String, String, Bool).self) {
                main = value
            }
            guard let main else { throw CaseworkError.noSuchCase }
            var events: [CaseFile.Event] = []
            for try await (at, actor, kind, detail) in try await conn.query(
                "SELECT at, actor, kind, detail FROM application_events WHERE application_id = \(row.id) ORDER BY id DESC", logger: logger
            ).decode((Date, String, String, String).self) { events.append(.init(at: at, actor: actor, kind: kind, detail: detail)) }
            var evidence: [CaseFile.Evidence] = []
            for try await (kind, requested, received) in try await conn.query(
                "SELECT kind, requested_at, received_at FROM evidence_items WHERE application_id = \(row.id) ORDER BY kind", logger: logger
            ).decode((String, Date?, Date?).self) { evidence.append(.init(kind: kind, requestedAt: requested, receivedAt: received)) }
            var decision: CaseFile.Decision?
            for try await (outcome, reasons, rationale, offered, at) in try await conn.query(
                "SELECT outcome, reasons, rationale, review_offered, decided_at FROM decisions WHERE application_id = \(row.id)",
                logger: logger
            ).decode((String, [String], String, Bool, Date).self) {
                decision = .init(
                    outcome: outcome, reasons: reasons.compactMap(RefusalReason.init(rawValue:)), rationale: rationale,
                    reviewOffered: offered,
                    decidedAt: at)
            }
            var review: CaseFile.Review?
            for try await (requested, due, status, rationale) in try await conn.query(
                "SELECT requested_at, due_on::text, status, rationale FROM reviews WHERE application_id = \(row.id) ORDER BY requested_at DESC LIMIT 1",
                logger: logger
            ).decode((Date, String, String, String?).self) {
                review = .init(requestedAt: requested, dueOn: due, status: status, rationale: rationale)
            }
            var letters: [CaseFile.Letter] = []
            for try await (id, kind, channel, created, body) in try await conn.query(
                "SELECT id, kind, channel, created_at, body FROM letters WHERE application_id = \(row.id) ORDER BY created_at DESC",
                logger: logger
            ).decode((UUID, String, String, Date, String).self) {
                letters.append(.init(id: id, kind: kind, channel: channel, createdAt: created, body: body))
            }
            var pauses: [(start: Date, end: Date?)] = []
            for try await (start, end) in try await conn.query(
                "SELECT paused_at, resumed_at FROM clock_pauses WHERE application_id = \(row.id) ORDER BY paused_at", logger: logger
            ).decode((Date, Date?).self) { pauses.append((start, end)) }
            let representatives = try await Self.representatives(conn, applicationID: row.id, logger)
            let address = [main.8, main.9, main.10].filter { !$0.isEmpty }.joined(separator: ", ")
            return CaseFile(
                reference: reference, row: row, kind: ApplicationKind(rawValue: main.0) ?? .new,
                replaceReason: main.1.flatMap(ReplacementReason.init(rawValue:)), channel: Channel(rawValue: main.2) ?? .paper,
                receivedAt: main.3, assignedName: main.4, assessment: main.5, applicantName: main.6, dateOfBirth: main.7, address: address,
                postcode: main.11, vulnerable: main.12, events: events, evidence: evidence, decision: decision, review: review,
                letters: letters, pauses: pauses, representatives: representatives)
        }
    }

    public enum Queue: Sendable, Equatable {
        case mine(UUID)
        case unassigned
        case teams(Set<String>)
        case open
        /// Open cases at or past `days` on the clock: the escalation queue.
        case atLeast(days: Int)
        /// Any case, open or not, by reference, postcode or applicant name (despite spelling).
        case search(String)
    }

    /// Open cases in a queue, oldest first (a search finds closed ones too). `visibleTeams` (nil:
    /// all) confines what is returned, and so what a search finds, to the teams the officer may see.
    public func queue(_ scope: TenantScope, _ queue: Queue, visibleTeams: Set<String>?, limit: Int = 200, logger: Logger) async throws
        -> [CaseSummary]
    {
        let mine: UUID? = if case .mine(let id) = queue { id } else { nil }
        let unassigned = queue == .unassigned
        let teamFilter: [String]? = if case .teams(let teams) = queue { teams.sorted() } else { nil }
        let visible = visibleTeams.map { $0.sorted() }
        let minimumDays: Int? = if case .atLeast(let days) = queue { days } else { nil }
        let search: String? = if case .search(let text) = queue { text.trimmingCharacters(in: .whitespaces).lowercased() } else { nil }
        let postcode = search.flatMap(UKFormats.postcode)
        return try await database.transaction(scope, logger: logger) { conn in
            var rows: [CaseSummary] = []
            for try await (reference, name, kind, eligibility, status, received, assigned, team, elapsed) in try await conn.query(
                """
                WITH open_cases AS (
                    SELECT a.*, CASE WHEN a.received_at IS NULL THEN NULL ELSE floor(extract(epoch FROM (now() - a.received_at)
                        - coalesce((SELECT sum(coalesce(c.resumed_at, now()) - c.paused_at) FROM clock_pauses c WHERE c.application_id = a.id),
                                   interval '0')) / 86400)::int END AS elapsed
                    FROM applications a
                    WHERE \(search)::text IS NOT NULL OR a.status IN ('DRAFT', 'RECEIVED', 'AWAITING_APPLICANT', 'ASSESSED'))
                SELECT a.reference, p.full_name, a.kind, a.eligibility, a.status, a.received_at, u.full_name, a.team, a.elapsed
                FROM open_cases a JOIN people p ON p.id = a.person_id LEFT JOIN users u ON u.id = a.assigned_to
                WHERE (\(mine)::uuid IS NULL OR a.assigned_to = \(mine))
                  AND (NOT \(unassigned) OR a.assigned_to IS NULL)
                  AND (\(teamFilter)::text[] IS NULL OR a.team = ANY(\(teamFilter)))
                  AND (\(visible)::text[] IS NULL OR a.team = ANY(\(visible)))
                  AND (\(minimumDays)::int IS NULL OR a.elapsed >= \(minimumDays))
                  AND (\(search)::text IS NULL OR lower(a.reference) = \(search) OR p.postcode = \(postcode)
                       OR lower(p.full_name) LIKE '%' || \(search) || '%' OR kerb_ext.similarity(lower(p.full_name), \(search)) > 0.3
                       OR EXISTS (SELECT 1 FROM badges b WHERE b.person_id = a.person_id AND b.badge_number = upper(\(search))))
                ORDER BY CASE WHEN \(search)::text IS NULL THEN 0 ELSE -kerb_ext.similarity(lower(p.full_name), coalesce(\(search), '')) END,
                    a.received_at NULLS LAST, a.reference
                LIMIT \(limit)
                """, logger: logger
            ).decode((String, String, String, String?, String, Date?, String?, String, Int?).self) {
                rows.append(
                    CaseSummary(
                        reference: reference, applicantName: name, kind: ApplicationKind(rawValue: kind) ?? .new,
                        eligibility: eligibility.flatMap(Eligibility.init(rawValue:)),
                        status: ApplicationStatus(rawValue: status) ?? .draft,
                        receivedAt: received, assignedName: assigned, team: team, elapsedDays: elapsed))
            }
            return rows
        }
    }
}
