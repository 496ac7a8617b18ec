import Audit
import Casework
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// What enforcement may conclude. A cancellation also cancels the badge in the national register.
public enum EnforcementOutcome: String, Sendable, CaseIterable, Codable {
    case noAction = "NO_ACTION", warning = "WARNING", confiscation = "CONFISCATION", cancellation = "CANCELLATION"
    case prosecution = "PROSECUTION"

    public var label: String {
        switch self {
        case .noAction: "No action (no misuse found)"
        case .warning: "Warning given"
        case .confiscation: "Badge confiscated"
        case .cancellation: "Badge cancelled"
        case .prosecution: "Referred for prosecution"
        }
    }
}

public enum EnforcementStatus: String, Sendable, CaseIterable, Codable {
    case open = "OPEN", investigating = "INVESTIGATING", closed = "CLOSED"

    public var label: String {
        switch self {
        case .open: "Reported"
        case .investigating: "Under investigation"
        case .closed: "Closed"
        }
    }
}

/// A report of misuse as a civil enforcement officer or a member of the public gives it.
public struct MisuseReport: Sendable {
    public var badgeNumber: String
    public var location: String
    public var vehicleRegistration: String
    public var observation: String
    public var reportedBy: String
    public var seenAt: Date

    public init(badgeNumber: String, location: String, vehicleRegistration: String, observation: String, reportedBy: String, seenAt: Date) {
        self.badgeNumber = badgeNumber
        self.location = location
        self.vehicleRegistration = vehicleRegistration
        self.observation = observation
        self.reportedBy = reportedBy
        self.seenAt = seenAt
    }

    func problems() -> [FieldIssue] {
        var issues: [FieldIssue] = []
        func need(_ value: String, _ field: String, _ message: String) {
            if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { issues.append(FieldIssue(field: field, message: message)) }
        }
        need(badgeNumber, "badge-number", "Enter the badge number as seen (or 'unreadable')")
        need(location, "location", "Enter where the badge was seen")
        need(observation, "observation", "Describe what was seen")
        need(reportedBy, "reported-by", "Enter who reported it")
        return issues
    }
}

/// An enforcement case as its page shows it.
public struct EnforcementCase: Sendable {
    public struct Evidence: Sendable {
        public let description: String
        public let capturedAt: Date
    }

    public struct Event: Sendable {
        public let at: Date
        public let actor: String
        public let kind: String
        public let detail: String
    }

    public let reference: String
    public let reportedBadge: String
    /// The council's own badge the report is about, if the number is one of ours.
    public let badge: Badge?
    public let reportedAt: Date
    public let reportedBy: String
    public let location: String
    public let vehicleRegistration: String
    public let observation: String
    public let status: EnforcementStatus
    public let assignedName: String?
    public let outcome: EnforcementOutcome?
    public let outcomeRationale: String?
    public let evidence: [Evidence]
    public let events: [Event]
    /// Photographs and evidence files, newest first (each opened one at a time, logged).
    public let documents: [CaseDocument]
}

public enum EnforcementError: KerbError, Equatable {
    case invalid([FieldIssue])
    case noSuchCase
    case closed
    case noBadgeToCancel

    public var kind: KerbErrorKind {
        switch self {
        case .invalid(let issues): .invalid(issues)
        case .noSuchCase: .notFound
        case .closed, .noBadgeToCancel: .conflict
        }
    }

    public var code: String {
        switch self {
        case .invalid: "enforcement.invalid"
        case .noSuchCase: "enforcement.no-such-case"
        case .closed: "enforcement.closed"
        case .noBadgeToCancel: "enforcement.no-badge-to-cancel"
        }
    }

    public var publicDetail: String {
        switch self {
        case .invalid(let issues): issues.map(\.message).joined(separator: "; ")
        case .noSuchCase: "There is no such enforcement case"
        case .closed: "This enforcement case is closed"
        case .noBadgeToCancel: "Cancellation needs a live badge issued by this council"
        }
    }
}

/// Reports of badge misuse, their investigation and outcome, linked to the council's badge and
/// its holder when the number is one of ours (a forged or another council's number is kept as
/// reported). Every step goes on the case's own timeline.
public struct EnforcementService: Sendable {
    public let database: TenantDatabase
    public let badges: BadgeService
    public let clock: WallClock

    public init(database: TenantDatabase, badges: BadgeService, clock: WallClock = .system) {
        self.database = database
        self.badges = badges
        self.clock = clock
    }

    /// The same service reading `clock` (a test's moment, or one "now" for a batch).
    public func reading(_ clock: WallClock) -> EnforcementService {
        EnforcementService(database: database, badges: badges.reading(clock), clock: clock)
    }

    /// Enforcement is one permission, not confined by team: a refusal is audited and answered 403.
    func authorise(_ actor: Actor, _ scope: TenantScope, _ what: String, logger: Logger) async throws {
        guard case .deny(let reason) = AccessPolicy.decide(actor.principal, .manageEnforcement, .none) else { return }
        try await AuditLog.record(
            actor.audit(
                "access.denied", target: "\(Permission.manageEnforcement.rawValue) \(what)", detail: reason.rawValue, outcome: .denied),
            database: database, scope: scope, logger: logger)
        throw AccessDenied(reason: reason)
    }

    /// Opens a case from a report; returns its reference (EN-YYYY-NNNNNN).
    public func report(_ scope: TenantScope, _ report: MisuseReport, as actor: Actor, logger: Logger) async throws -> String {
        try await authorise(actor, scope, "report", logger: logger)
        let officer = actor.officer
        let now = clock.now()
        let issues = report.problems()
        guard issues.isEmpty else { throw EnforcementError.invalid(issues) }
        let number = report.badgeNumber.trimmingCharacters(in: .whitespaces).uppercased()
        let year = Day(now).year
        return try await database.transaction(scope, logger: logger) { conn in
            var sequence = 0
            for try await value in try await conn.query("SELECT nextval('enforcement_numbers')::int", logger: logger).decode(Int.self) {
                sequence = value
            }
            let reference = String(format: "EN-%04d-%06d", year, sequence)
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO enforcement_cases (reference, reported_badge, badge, person_id, reported_at, reported_by, location,
                    vehicle_registration, observation, status, created_by)
                SELECT \(reference), \(number), b.badge_number, b.person_id, \(report.seenAt), \(report.reportedBy), \(report.location),
                    \(report.vehicleRegistration.uppercased()), \(report.observation), 'OPEN', \(officer.id)
                FROM (SELECT 1) one LEFT JOIN badges b ON b.badge_number = \(number)
                RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            guard let id else { throw EnforcementError.noSuchCase }
            try await Self.event(conn, id, officer, "reported", "badge \(number) at \(report.location)", logger)
            try await AuditLog.record(
                actor.audit("enforcement.report", target: reference, detail: "badge \(number)"), before: nil,
                after: try await Self.state(conn, id, logger), on: conn, logger: logger)
            return reference
        }
    }

    public func investigate(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws {
        let officer = actor.officer
        try await change(scope, reference, as: actor, audit: "enforcement.investigate", logger: logger) { conn, id in
            _ = try await conn.query(
                "UPDATE enforcement_cases SET status = 'INVESTIGATING', assigned_to = \(officer.id) WHERE id = \(id)", logger: logger)
            try await Self.event(conn, id, officer, "investigating", "taken on by \(officer.name)", logger)
            return "taken on by \(officer.name)"
        }
    }

    public func addEvidence(
        _ scope: TenantScope, reference: String, description: String, capturedAt: Date, as actor: Actor, logger: Logger
    ) async throws {
        let officer = actor.officer
        let description = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !description.isEmpty else {
            throw EnforcementError.invalid([FieldIssue(field: "evidence", message: "Describe the evidence")])
        }
        try await change(scope, reference, as: actor, audit: "enforcement.evidence", logger: logger) { conn, id in
            _ = try await conn.query(
                """
                INSERT INTO enforcement_evidence (case_id, description, captured_at, added_by)
                VALUES (\(id), \(description), \(capturedAt), \(officer.id))
                """, logger: logger)
            try await Self.event(conn, id, officer, "evidence", String(description.prefix(80)), logger)
            return "evidence of \(description.count) characters"
        }
    }

    /// Closes the case with an outcome and its rationale. A cancellation cancels the linked
    /// badge (REVOKE) in the national register first; if that fails, the case stays open.
    public func close(
        _ scope: TenantScope, reference: String, outcome: EnforcementOutcome, rationale: String, register: (any BadgeRegister)?,
        as actor: Actor, logger: Logger
    ) async throws {
        let officer = actor.officer
        let now = clock.now()
        let rationale = rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !rationale.isEmpty else {
            throw EnforcementError.invalid([FieldIssue(field: "rationale", message: "Explain the outcome")])
        }
        let file = try await self.file(scope, reference: reference, as: actor, logger: logger)
        guard file.status != .closed else { throw EnforcementError.closed }
        if outcome == .cancellation {
            guard let badge = file.badge, badge.isLive(today: Day(now)), let register else { throw EnforcementError.noBadgeToCancel }
            try await badges.cancel(
                scope, number: badge.number, reason: .revoked, register: register, as: actor, logger: logger)
        }
        try await change(scope, reference, as: actor, audit: "enforcement.close", logger: logger) { conn, id in
            _ = try await conn.query(
                """
                UPDATE enforcement_cases SET status = 'CLOSED', outcome = \(outcome.rawValue), outcome_rationale = \(rationale),
                    closed_at = \(now), closed_by = \(officer.id)
                WHERE id = \(id)
                """, logger: logger)
            try await Self.event(conn, id, officer, "closed", "\(outcome.rawValue): \(rationale)", logger)
            return outcome.rawValue
        }
    }

    public struct Summary: Sendable {
        public let reference: String
        public let reportedBadge: String
        public let location: String
        public let reportedAt: Date
        public let status: EnforcementStatus
        public let outcome: EnforcementOutcome?
    }

    /// Cases, open first then newest; `badge` narrows to reports about one badge number.
    public func cases(
        _ scope: TenantScope, openOnly: Bool, badge: String? = nil, limit: Int = 200, as actor: Actor, logger: Logger
    ) async throws -> [Summary] {
        try await authorise(actor, scope, "list", logger: logger)
        let badge = badge?.trimmingCharacters(in: .whitespaces).uppercased()
        return try await database.transaction(scope, logger: logger) { conn in
            var rows: [Summary] = []
            for try await row in try await conn.query(
                """
                SELECT reference, reported_badge, location, reported_at, status, outcome FROM enforcement_cases
                WHERE (NOT \(openOnly) OR status <> 'CLOSED') AND (\(badge)::text IS NULL OR reported_badge = \(badge))
                ORDER BY status = 'CLOSED', reported_at DESC LIMIT \(limit)
                """, logger: logger
            ).decode((String, String, String, Date, String, String?).self) {
                rows.append(
                    Summary(
                        reference: row.0, reportedBadge: row.1, location: row.2, reportedAt: row.3,
                        status: EnforcementStatus(rawValue: row.4) ?? .open, outcome: row.5.flatMap(EnforcementOutcome.init(rawValue:))))
            }
            return rows
        }
    }

    public func file(_ scope: TenantScope, reference: String, as actor: Actor, logger: Logger) async throws -> EnforcementCase {
        try await authorise(actor, scope, reference, logger: logger)
        let main = try await database.transaction(scope, logger: logger) { conn in
            var found: (UUID, String, String?, Date, String, String, String, String, String, String?, String?, String?)?
            for try await row in try await conn.query(
                """
                SELECT e.id, e.reported_badge, e.badge, e.reported_at, e.reported_by, e.location, e.vehicle_registration, e.observation,
                    e.status, u.full_name, e.outcome, e.outcome_rationale
                FROM enforcement_cases e LEFT JOIN users u ON u.id = e.assigned_to WHERE e.reference = \(reference)
                """, logger: logger
            ).decode((UUID, String, String?, Date, String, String, String, String, String, String?, String?, String?).self) {
                found = row
            }
            guard let found else { throw EnforcementError.noSuchCase }
            try await ViewLog.record(
                RecordView(.enforcement, reference, personID: nil), by: actor.viewer, on: conn, logger: logger)
            var evidence: [EnforcementCase.Evidence] = []
            for try await (description, at) in try await conn.query(
                "SELECT description, captured_at FROM enforcement_evidence WHERE case_id = \(found.0) ORDER BY captured_at", logger: logger
            ).decode((String, Date).self) { evidence.append(.init(description: description, capturedAt: at)) }
            var events: [EnforcementCase.Event] = []
            for try await (at, actor, kind, detail) in try await conn.query(
                "SELECT at, actor, kind, detail FROM enforcement_events WHERE case_id = \(found.0) ORDER BY id DESC", logger: logger
            ).decode((Date, String, String, String).self) { events.append(.init(at: at, actor: actor, kind: kind, detail: detail)) }
            let badge = try await found.2.asyncMap { try await BadgeService.linked(conn, number: $0, logger: logger) } ?? nil
            let documents = try await EnforcementDocuments.list(conn, caseID: found.0, logger: logger)
            return (found, evidence, events, badge, documents)
        }
        let (row, evidence, events, badge, documents) = main
        return EnforcementCase(
            reference: reference, reportedBadge: row.1, badge: badge, reportedAt: row.3, reportedBy: row.4, location: row.5,
            vehicleRegistration: row.6, observation: row.7, status: EnforcementStatus(rawValue: row.8) ?? .open, assignedName: row.9,
            outcome: row.10.flatMap(EnforcementOutcome.init(rawValue:)), outcomeRationale: row.11, evidence: evidence, events: events,
            documents: documents)
    }

    /// Runs `body` on an open case, locked.
    /// One enforcement step: the open case locked, `body`'s change and timeline entry, and the
    /// audit row with the fields that changed, in one transaction.
    private func change(
        _ scope: TenantScope, _ reference: String, as actor: Actor, audit action: String, logger: Logger,
        _ body: (PostgresConnection, UUID) async throws -> String
    ) async throws {
        try await authorise(actor, scope, reference, logger: logger)
        try await database.transaction(scope, logger: logger) { conn in
            var found: (UUID, String)?
            for try await row in try await conn.query(
                "SELECT id, status FROM enforcement_cases WHERE reference = \(reference) FOR UPDATE", logger: logger
            ).decode((UUID, String).self) { found = row }
            guard let found else { throw EnforcementError.noSuchCase }
            guard found.1 != "CLOSED" else { throw EnforcementError.closed }
            let before = try await Self.state(conn, found.0, logger)
            let detail = try await body(conn, found.0)
            try await AuditLog.record(
                actor.audit(action, target: reference, detail: detail), before: before, after: try await Self.state(conn, found.0, logger),
                on: conn,
                logger: logger)
        }
    }

    /// The audited fields of an enforcement case, as a JSON object (free text by length only).
    static func state(_ conn: PostgresConnection, _ id: UUID, _ logger: Logger) async throws -> String? {
        for try await value in try await conn.query(
            """
            SELECT jsonb_build_object('status', status, 'badge', badge, 'assigned_to', assigned_to, 'outcome', outcome,
                'outcome_rationale_characters', length(outcome_rationale), 'closed_at', closed_at)::text
            FROM enforcement_cases WHERE id = \(id)
            """, logger: logger
        ).decode(String.self) { return value }
        return nil
    }

    static func event(_ conn: PostgresConnection, _ id: UUID, _ officer: Officer, _ kind: String, _ detail: String, _ logger: Logger)
        async throws
    {
        _ = try await conn.query(
            """
            INSERT INTO enforcement_events (case_id, actor_id, actor, kind, detail)
            VALUES (\(id), \(officer.id), \(officer.name), \(kind), \(detail))
            """, logger: logger)
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
