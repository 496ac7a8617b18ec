import Audit
import Foundation
import KerbCore
import Logging
import Policy
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

    /// A letter, email or text message about the case, as rendered, and how far it has got.
    public struct Letter: Sendable {
        public let id: UUID
        public let kind: String
        public let channel: String
        public let createdAt: Date
        public let body: String
        public let subject: String
        public let addressee: String
        public let recipient: String
        /// queued, sending, sent, delivered, failed, held or cancelled (see migration 0017).
        public let state: String
        public let lastError: String?
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
    /// Uploaded documents, newest first (the bytes are opened one at a time, audited).
    public let documents: [CaseDocument]

    /// Days on the processing clock: from receipt to now (or the decision), less paused time.
    public func elapsedDays(now: Date) -> Int? {
        guard let received = receivedAt else { return nil }
        let end = decisionDate ?? now
        let paused = pauses.reduce(0.0) { $0 + (min($1.end ?? end, end).timeIntervalSince($1.start)) }
        // Whole seconds first: times read back from the database differ from the ones written by
        // a few microseconds of floating point, which must not tip exactly ten days into nine.
        let seconds = (end.timeIntervalSince(received) - paused).rounded()
        return max(0, Int(seconds / 86_400))
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
    /// The whole case, if `actor` may see it (another team's case answers as a missing one): one
    /// statement (`fileSQL`, registered with the read pipeline) reads the row the access decision
    /// needs and the file as one JSON document, so a case page or an API read costs one round
    /// trip, the role switch included, with a plan PostgreSQL keeps per council and connection.
    ///
    /// The same statement logs the view (who, from where, the applicant's id) when the actor's
    /// teams let them see it, so opening a case costs no extra round trip; should the logged
    /// and the decided answer ever differ, the view is logged on its own before the file is shown.
    public func file(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> CaseFile {
        try await access.reading(scope, logger: logger) {
            guard let data = try await database.document(Self.fileSQL, scope, Self.fileParameters(reference, actor), logger: logger) else {
                throw CaseworkError.noSuchCase
            }
            let answer = try JSONDecoder().decode(CaseFile.Answer.self, from: data)
            try CaseAccess.check(actor, .viewCase, AccessTarget(team: answer.team), resource: reference, hidden: CaseworkError.noSuchCase)
            if !answer.viewed {
                try await ViewLog.record(
                    RecordView(.case, reference, personID: answer.personID), by: actor.viewer, database: database, scope: scope,
                    logger: logger)
            }
            return CaseFile(reference: reference, answer: answer)
        }
    }

    /// `fileSQL`'s parameters: the reference, the viewer, and the teams whose cases the actor
    /// may open (`all`, or `teams` and a JSON array, empty without the permission at all).
    static func fileParameters(_ reference: String, _ actor: Actor) -> [String] {
        let viewer = actor.viewer
        let teams = actor.may(.viewCase) ? actor.visibleTeams(through: [.viewCase]) : []
        let list = (teams.flatMap { try? JSONEncoder().encode($0.sorted()) }).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            reference, viewer.actorID?.uuidString ?? "", viewer.actor, viewer.client, viewer.requestID, teams == nil ? "all" : "teams",
            list,
        ]
    }

    /// The reads Casework registers with the pipeline.
    public static var pipelineStatements: [String] { [fileSQL] }

    /// The case named `$1`: the access row and the file, as one JSON object.
    /// The view is logged by the data-modifying CTE (`fileParameters` says who and which teams).
    static let fileSQL = """
        WITH viewed AS (
            INSERT INTO record_views (actor_id, actor, kind, record, person_id, client, request_id)
            SELECT nullif($2, '')::uuid, $3, 'case', a.reference, a.person_id, $4, $5
            FROM applications a WHERE a.reference = $1 AND ($6 = 'all' OR $7::jsonb ? a.team)
            RETURNING 1)
        SELECT jsonb_build_object('id', a.id, 'status', a.status, 'eligibility', a.eligibility, 'team', a.team,
            'assignedTo', a.assigned_to, 'assessedBy', a.assessed_by, 'personID', a.person_id, 'viewed', EXISTS (SELECT 1 FROM viewed),
            'state', \(stateColumns(of: "a")), 'file', \(fileDocument))::text
        FROM applications a JOIN people p ON p.id = a.person_id LEFT JOIN users u ON u.id = a.assigned_to
        WHERE a.reference = $1
        """

    /// The case file as one JSON object (times as seconds since 1970, so nothing is lost to a
    /// date format): the application and applicant, then each list newest first as the page shows it.
    static let fileDocument = """
        jsonb_build_object(
            'kind', a.kind, 'replaceReason', a.replace_reason, 'channel', a.channel, 'receivedAt', extract(epoch FROM a.received_at),
            'assignedName', u.full_name, 'assessment', a.assessment, 'applicantName', p.full_name,
            'dateOfBirth', extract(epoch FROM p.date_of_birth::timestamp AT TIME ZONE 'UTC'),
            'address', concat_ws(', ', nullif(p.address_line1, ''), nullif(p.address_line2, ''), nullif(p.town, '')),
            'postcode', p.postcode, 'vulnerable', p.vulnerable,
            'events', coalesce((SELECT jsonb_agg(jsonb_build_object('at', extract(epoch FROM e.at), 'actor', e.actor, 'kind', e.kind,
                'detail', e.detail) ORDER BY e.id DESC) FROM application_events e WHERE e.application_id = a.id), '[]'),
            'evidence', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', i.kind, 'requestedAt', extract(epoch FROM i.requested_at),
                'receivedAt', extract(epoch FROM i.received_at)) ORDER BY i.kind) FROM evidence_items i WHERE i.application_id = a.id), '[]'),
            'decision', (SELECT jsonb_build_object('outcome', d.outcome, 'reasons', to_jsonb(d.reasons), 'rationale', d.rationale,
                'reviewOffered', d.review_offered, 'decidedAt', extract(epoch FROM d.decided_at))
                FROM decisions d WHERE d.application_id = a.id),
            'review', (SELECT jsonb_build_object('requestedAt', extract(epoch FROM r.requested_at), 'dueOn', r.due_on::text,
                'status', r.status, 'rationale', r.rationale)
                FROM reviews r WHERE r.application_id = a.id ORDER BY r.requested_at DESC LIMIT 1),
            'letters', coalesce((SELECT jsonb_agg(jsonb_build_object('id', l.id, 'kind', l.kind, 'channel', l.channel,
                'createdAt', extract(epoch FROM l.created_at), 'body', l.body, 'subject', l.subject, 'addressee', l.addressee,
                'recipient', l.recipient, 'state', l.state, 'lastError', l.last_error) ORDER BY l.created_at DESC, l.id)
                FROM messages l WHERE l.application_id = a.id), '[]'),
            'pauses', coalesce((SELECT jsonb_agg(jsonb_build_object('start', extract(epoch FROM c.paused_at),
                'end', extract(epoch FROM c.resumed_at)) ORDER BY c.paused_at) FROM clock_pauses c WHERE c.application_id = a.id), '[]'),
            'representatives', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'fullName', r.full_name,
                'relationship', r.relationship, 'mayApply', r.may_apply, 'mayReceive', r.may_receive, 'mayDiscuss', r.may_discuss,
                'contact', r.contact) ORDER BY r.created_at) FROM representatives r WHERE r.person_id = a.person_id), '[]'),
            'documents', coalesce((SELECT jsonb_agg(jsonb_build_object('id', d.id, 'stage', d.stage, 'class', d.class,
                'fileName', d.file_name, 'mediaType', d.content_type, 'byteCount', d.byte_count, 'sha256', encode(d.sha256, 'hex'),
                'uploadedBy', du.full_name, 'uploadedAt', extract(epoch FROM d.uploaded_at)) ORDER BY d.uploaded_at DESC)
                FROM documents d LEFT JOIN users du ON du.id = d.uploaded_by WHERE d.application_id = a.id), '[]')
        )
        """
}

extension CaseFile {
    /// `CaseService.fileSQL`'s answer: the row the access decision reads, and the file.
    struct Answer: Decodable {
        let id: UUID
        let status: String
        let eligibility: String?
        let team: String
        let assignedTo: UUID?
        let assessedBy: UUID?
        let personID: UUID
        /// Whether the statement logged this view.
        let viewed: Bool
        let state: String
        fileprivate let file: Document

        var row: CaseService.CaseRow {
            CaseService.CaseRow(
                id: id, status: status, eligibility: eligibility, team: team, assignedTo: assignedTo, assessedBy: assessedBy, state: state)
        }
    }

    /// The file's JSON document (`CaseService.fileDocument`) as typed fields.
    fileprivate struct Document: Decodable {
        struct Event: Decodable {
            let at: Double
            let actor: String
            let kind: String
            let detail: String
        }
        struct Evidence: Decodable {
            let kind: String
            let requestedAt: Double?
            let receivedAt: Double?
        }
        struct Decision: Decodable {
            let outcome: String
            let reasons: [String]
            let rationale: String
            let reviewOffered: Bool
            let decidedAt: Double
        }
        struct Review: Decodable {
            let requestedAt: Double
            let dueOn: String
            let status: String
            let rationale: String?
        }
        struct Letter: Decodable {
            let id: UUID
            let kind: String
            let channel: String
            let createdAt: Double
            let body: String
            let subject: String
            let addressee: String
            let recipient: String
            let state: String
            let lastError: String?
        }
        struct Pause: Decodable {
            let start: Double
            let end: Double?
        }
        struct Person: Decodable {
            let id: UUID
            let fullName: String
            let relationship: String
            let mayApply: Bool
            let mayReceive: Bool
            let mayDiscuss: Bool
            let contact: String
        }

        let kind: String
        let replaceReason: String?
        let channel: String
        let receivedAt: Double?
        let assignedName: String?
        let assessment: String?
        let applicantName: String
        let dateOfBirth: Double?
        let address: String
        let postcode: String
        let vulnerable: Bool
        let events: [Event]
        let evidence: [Evidence]
        let decision: Decision?
        let review: Review?
        let letters: [Letter]
        let pauses: [Pause]
        let representatives: [Person]
        let documents: [Upload]

        struct Upload: Decodable {
            let id: UUID
            let stage: String
            let `class`: String
            let fileName: String
            let mediaType: String
            let byteCount: Int
            let sha256: String
            let uploadedBy: String?
            let uploadedAt: Double
        }
    }

    init(reference: String, answer: Answer) {
        let file = answer.file
        let row = answer.row
        func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
        self.init(
            reference: reference, row: row, kind: ApplicationKind(rawValue: file.kind) ?? .new,
            replaceReason: file.replaceReason.flatMap(ReplacementReason.init(rawValue:)),
            channel: Channel(rawValue: file.channel) ?? .paper,
            receivedAt: file.receivedAt.map(date), assignedName: file.assignedName, assessment: file.assessment,
            applicantName: file.applicantName, dateOfBirth: file.dateOfBirth.map(date), address: file.address, postcode: file.postcode,
            vulnerable: file.vulnerable,
            events: file.events.map { .init(at: date($0.at), actor: $0.actor, kind: $0.kind, detail: $0.detail) },
            evidence: file.evidence.map {
                .init(kind: $0.kind, requestedAt: $0.requestedAt.map(date), receivedAt: $0.receivedAt.map(date))
            },
            decision: file.decision.map {
                .init(
                    outcome: $0.outcome, reasons: $0.reasons.compactMap(RefusalReason.init(rawValue:)), rationale: $0.rationale,
                    reviewOffered: $0.reviewOffered, decidedAt: date($0.decidedAt))
            },
            review: file.review.map {
                .init(requestedAt: date($0.requestedAt), dueOn: $0.dueOn, status: $0.status, rationale: $0.rationale)
            },
            letters: file.letters.map {
                .init(
                    id: $0.id, kind: $0.kind, channel: $0.channel, createdAt: date($0.createdAt), body: $0.body, subject: $0.subject,
                    addressee: $0.addressee, recipient: $0.recipient, state: $0.state, lastError: $0.lastError)
            },
            pauses: file.pauses.map { (start: date($0.start), end: $0.end.map(date)) },
            representatives: file.representatives.map {
                Representative(
                    id: $0.id, fullName: $0.fullName, relationship: Representative.Relationship(rawValue: $0.relationship) ?? .other,
                    mayApply: $0.mayApply, mayReceive: $0.mayReceive, mayDiscuss: $0.mayDiscuss, contact: $0.contact)
            },
            documents: file.documents.compactMap { upload in
                guard let stage = DocumentStage(rawValue: upload.stage), let kind = DocumentClass(rawValue: upload.class) else {
                    return nil
                }
                return CaseDocument(
                    id: upload.id, stage: stage, documentClass: kind, fileName: upload.fileName, mediaType: upload.mediaType,
                    byteCount: upload.byteCount, sha256: upload.sha256, uploadedBy: upload.uploadedBy, uploadedAt: date(upload.uploadedAt))
            })
    }
}

extension CaseService {
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
