import Audit
import Communications
import Foundation
import KerbCore
import Logging
import Notify
import Policy
import PostgresNIO
import Storage

/// The people a bulk send can go to, each with the message kind it carries.
public enum BulkSelection: String, Sendable, CaseIterable {
    /// Holders of a live badge that expires within the next three months: a renewal invitation.
    case expiringBadges = "expiring-badges"
    /// Applicants whose case waits for evidence they were asked for: the evidence request again.
    case awaitingEvidence = "awaiting-evidence"

    public var title: String {
        switch self {
        case .expiringBadges: "Badges expiring in the next three months"
        case .awaitingEvidence: "Cases waiting for evidence from the applicant"
        }
    }

    public var kind: MessageKind {
        switch self {
        case .expiringBadges: .renewalInvitation
        case .awaitingEvidence: .evidenceRequest
        }
    }
}

/// A mail merge: one kind of message to everyone in a selection, previewed (count and a sample),
/// then started (audited) and written to the outbox in batches by the dispatch service, which
/// resumes an interrupted run where it stopped: each person gets one message of the send
/// (`messages_bulk_once`), however often a batch is repeated. Cancelling stops what has not gone.
public struct BulkMail: Sendable {
    let cases: CaseService

    public init(cases: CaseService) {
        self.cases = cases
    }

    /// One recipient's facts, as the selection's query returns them.
    struct Recipient {
        var facts: CaseLetters.Facts
        var applicationID: UUID
        var extra: [String: any Sendable]
    }

    public struct Preview: Sendable {
        public let count: Int
        /// Up to three messages as they would be sent: addressee, channel, subject, body.
        public let samples: [(addressee: String, channel: NotifyChannel, subject: String, body: String)]
    }

    public struct Progress: Sendable, Equatable {
        public let id: UUID
        public let selection: String
        public let state: String
        public let total: Int
        public let written: Int
        public let sent: Int
        public let failed: Int
        public let cancelled: Int
        public let startedAt: Date
        public let startedBy: String?
    }

    /// How many a send to `selection` would reach now, with a sample rendered from real records.
    public func preview(_ scope: TenantScope, _ selection: BulkSelection, as actor: Actor, logger: Logger) async throws -> Preview {
        let teams = try Self.teams(actor)
        let now = cases.clock.now()
        return try await cases.access.run(scope, logger: logger) { conn in
            let count = try await Self.count(conn, selection, teams: teams, now: now, logger)
            let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger)
            var samples: [(String, NotifyChannel, String, String)] = []
            var wordings: [NotifyChannel: Wording] = [:]
            for recipient in try await Self.recipients(conn, selection, teams: teams, bulkID: nil, limit: 3, now: now, logger) {
                let item = Self.item(recipient, policy: policy, now: now)
                let rendered = try await cases.outbox.render(
                    selection.kind, for: item.addressee, item.personalisation, wordings: &wordings, on: conn, logger: logger)
                samples.append((item.addressee.name, rendered.route.channel, rendered.subject, rendered.body))
            }
            return Preview(count: count, samples: samples)
        }
    }

    /// Starts a send to `selection` as it stands now (audited); the messages are written by
    /// ``continue(_:logger:)``. Returns the send's id.
    public func start(_ scope: TenantScope, _ selection: BulkSelection, as actor: Actor, logger: Logger) async throws -> UUID {
        let teams = try Self.teams(actor)
        let now = cases.clock.now()
        return try await cases.access.run(scope, logger: logger) { conn in
            let total = try await Self.count(conn, selection, teams: teams, now: now, logger)
            guard
                let id = try await conn.query(
                    """
                    INSERT INTO bulk_sends (kind, selection, total, created_by, created_at, teams)
                    VALUES (\(selection.kind.rawValue), \(selection.rawValue), \(total), \(actor.officer.id), \(now), \(teams))
                    RETURNING id
                    """, logger: logger
                ).collect().first?.decode(UUID.self)
            else { throw CommunicationsError.noSuchBulkSend }
            try await AuditLog.record(
                actor.audit("messages.bulk-start", target: id.uuidString, detail: "\(selection.rawValue): \(total) people"), before: nil,
                after: nil, on: conn, logger: logger)
            return id
        }
    }

    /// Writes the next batches of every send still being written (oldest first), at most
    /// `limit` messages in all; returns how many were written. Run by the dispatch service.
    @discardableResult
    public func `continue`(_ scope: TenantScope, batch: Int = 1_000, limit: Int = 10_000, logger: Logger) async throws -> Int {
        var written = 0
        while written < limit {
            let now = cases.clock.now()
            let wrote = try await cases.database.transaction(scope, logger: logger) { conn -> Int? in
                guard
                    let row = try await conn.query(
                        """
                        SELECT id, selection, created_by, teams FROM bulk_sends WHERE state = 'enqueuing' ORDER BY created_at
                        LIMIT 1 FOR UPDATE SKIP LOCKED
                        """, logger: logger
                    ).collect().first
                else { return nil }
                let (id, selectionName, by, teams) = try row.decode((UUID, String, UUID?, [String]?).self)
                guard let selection = BulkSelection(rawValue: selectionName) else { return nil }
                let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger)
                let recipients = try await Self.recipients(conn, selection, teams: teams, bulkID: id, limit: batch, now: now, logger)
                let items = recipients.map { Self.item($0, policy: policy, now: now) }
                let count = try await cases.outbox.enqueue(selection.kind, items, bulkID: id, by: by, at: now, on: conn, logger: logger)
                if recipients.count < batch {
                    _ = try await conn.query("UPDATE bulk_sends SET state = 'sending' WHERE id = \(id)", logger: logger)
                }
                return count
            }
            guard let wrote else { break }
            written += wrote
        }
        return written
    }

    /// Stops a send: nothing more is written, and its messages not yet sent are cancelled (audited).
    public func cancel(_ scope: TenantScope, _ id: UUID, as actor: Actor, logger: Logger) async throws {
        _ = try Self.teams(actor)
        let now = cases.clock.now()
        try await cases.access.run(scope, logger: logger) { conn in
            let stopped = try await conn.query(
                """
                UPDATE bulk_sends SET state = 'cancelled', cancelled_at = \(now)
                WHERE id = \(id) AND state IN ('enqueuing', 'sending') RETURNING 1
                """, logger: logger
            ).collect()
            guard !stopped.isEmpty else { throw CommunicationsError.noSuchBulkSend }
            let cancelled = try await conn.query(
                "UPDATE messages SET state = 'cancelled' WHERE bulk_id = \(id) AND state IN ('queued', 'held') RETURNING 1",
                logger: logger
            ).collect().count
            try await AuditLog.record(
                actor.audit("messages.bulk-cancel", target: id.uuidString, detail: "\(cancelled) messages not sent"), before: nil,
                after: nil, on: conn, logger: logger)
        }
    }

    /// Every bulk send, newest first, with how far each has got.
    public func sends(_ scope: TenantScope, logger: Logger) async throws -> [Progress] {
        try await cases.database.transaction(scope, logger: logger) { conn in
            var sends: [Progress] = []
            for try await row in try await conn.query(
                """
                SELECT s.id, s.selection, s.state, s.total, count(m.id)::int,
                    (count(*) FILTER (WHERE m.state IN ('sent', 'delivered')))::int,
                    (count(*) FILTER (WHERE m.state IN ('failed', 'held')))::int,
                    (count(*) FILTER (WHERE m.state = 'cancelled'))::int, s.created_at, u.full_name
                FROM bulk_sends s LEFT JOIN messages m ON m.bulk_id = s.id LEFT JOIN users u ON u.id = s.created_by
                GROUP BY s.id, u.full_name ORDER BY s.created_at DESC LIMIT 50
                """, logger: logger
            ).decode((UUID, String, String, Int, Int, Int, Int, Int, Date, String?).self) {
                sends.append(
                    Progress(
                        id: row.0, selection: row.1, state: row.2, total: row.3, written: row.4, sent: row.5, failed: row.6,
                        cancelled: row.7, startedAt: row.8, startedBy: row.9))
            }
            return sends
        }
    }

    // MARK: selections

    /// The teams the actor may send to (nil: all), or a refusal if they may not send at all.
    static func teams(_ actor: Actor) throws -> [String]? {
        guard actor.may(.sendCommunications) else { throw AccessDenied(reason: .notGranted) }
        return actor.visibleTeams(through: [.sendCommunications]).map { $0.sorted() }
    }

    static func selectionSQL(_ selection: BulkSelection) -> String {
        switch selection {
        case .expiringBadges:
            """
            FROM badges b JOIN applications a ON a.id = b.application_id JOIN people p ON p.id = b.person_id
            WHERE b.status IN ('ORDERED', 'ISSUED') AND b.expiry_date >= $1::date AND b.expiry_date < $1::date + 92
              AND p.erased_at IS NULL AND ($2::text[] IS NULL OR a.team = ANY($2))
            """
        case .awaitingEvidence:
            """
            FROM applications a JOIN people p ON p.id = a.person_id
            WHERE a.status = 'AWAITING_APPLICANT' AND p.erased_at IS NULL AND ($2::text[] IS NULL OR a.team = ANY($2))
              AND $1::date IS NOT NULL
            """
        }
    }

    static func count(_ conn: PostgresConnection, _ selection: BulkSelection, teams: [String]?, now: Date, _ logger: Logger) async throws
        -> Int
    {
        var bindings = PostgresBindings()
        bindings.append(Self.day(now))
        bindings.append(teams)
        let rows = try await conn.query(
            PostgresQuery(unsafeSQL: "SELECT count(DISTINCT p.id)::int " + selectionSQL(selection), binds: bindings), logger: logger
        ).collect()
        return try rows.first?.decode(Int.self) ?? 0
    }

    /// Up to `limit` people of the selection (one row each, their soonest record), without
    /// those who already have a message of bulk send `bulkID`.
    static func recipients(
        _ conn: PostgresConnection, _ selection: BulkSelection, teams: [String]?, bulkID: UUID?, limit: Int, now: Date,
        _ logger: Logger
    ) async throws -> [Recipient] {
        let extra: String
        let order: String
        switch selection {
        case .expiringBadges:
            extra = "b.badge_number, b.expiry_date::text, ARRAY[]::text[]"
            order = "p.id, b.expiry_date"
        case .awaitingEvidence:
            extra = """
                '', '', ARRAY(SELECT i.kind FROM evidence_items i WHERE i.application_id = a.id AND i.requested_at IS NOT NULL
                    AND i.received_at IS NULL ORDER BY i.kind)
                """
            order = "p.id, a.received_at"
        }
        let sql = """
            SELECT DISTINCT ON (p.id) (SELECT display_name FROM profile), p.id, p.full_name, p.preferred_channel, p.email, p.phone,
                ARRAY[p.address_line1, p.address_line2, p.town, p.postcode], a.reference, a.received_at, a.id, \(extra)
            \(selectionSQL(selection))
              AND ($3::uuid IS NULL OR NOT EXISTS (SELECT 1 FROM messages m WHERE m.bulk_id = $3 AND m.person_id = p.id))
            ORDER BY \(order) LIMIT $4
            """
        var bindings = PostgresBindings()
        bindings.append(Self.day(now))
        bindings.append(teams)
        bindings.append(bulkID)
        bindings.append(limit)
        var recipients: [Recipient] = []
        for try await row in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).decode(
            (String, UUID, String, String, String?, String?, [String], String, Date?, UUID, String, String, [String]).self)
        {
            let facts = CaseLetters.Facts(
                council: row.0, personID: row.1, applicant: row.2, preferred: row.3, email: row.4, phone: row.5, address: row.6,
                reference: row.7, received: row.8)
            var extra: [String: any Sendable] = [:]
            switch selection {
            case .expiringBadges:
                extra["badgeNumber"] = row.10
                extra["expiryDate"] = Day(iso: row.11)?.long ?? row.11
            case .awaitingEvidence: extra["items"] = row.12
            }
            recipients.append(Recipient(facts: facts, applicationID: row.9, extra: extra))
        }
        return recipients
    }

    static func item(_ recipient: Recipient, policy: LocalPolicyDocument, now: Date) -> Outbox.Item {
        let facts = recipient.facts
        return Outbox.Item(
            addressee: Addressee(
                name: facts.applicant, preferred: NotifyChannel(rawValue: facts.preferred) ?? .letter, email: facts.email,
                phone: facts.phone,
                postal: facts.address),
            applicationID: recipient.applicationID, personID: facts.personID,
            personalisation: CaseLetters.personalisation(facts, policy: policy, now: now, extra: recipient.extra))
    }

    /// The council's day (UK time) as PostgreSQL's date text.
    static func day(_ date: Date) -> String { Day(date).iso }
}
