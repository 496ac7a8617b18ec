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
    public let outbox: Outbox
    public let clock: WallClock
    let access: CaseAccess

    public init(database: TenantDatabase, outbox: Outbox, clock: WallClock = .system) {
        self.database = database
        self.outbox = outbox
        self.clock = clock
        self.access = CaseAccess(database: database)
    }

    /// The same service reading `clock` (a test's moment, or one "now" for a batch).
    public func reading(_ clock: WallClock) -> CaseService { CaseService(database: database, outbox: outbox, clock: clock) }

    /// The team a case belongs to when nobody chose another. Migration 0011 creates it in every
    /// council and makes it the default of `applications.team`.
    public static let defaultTeam = "General casework"

    func letter(
        _ kind: MessageKind, _ conn: PostgresConnection, _ id: UUID, _ officer: Officer, _ extra: [String: any Sendable], _ now: Date,
        _ logger: Logger
    ) async throws {
        try await CaseLetters(outbox: outbox).record(kind, conn, id, officer, extra, now: now, logger)
    }

    /// The councils' time zone (GMT/BST); the GMT fallback cannot happen on a system with tzdata.
    static let london = TimeZone(identifier: "Europe/London") ?? .gmt

    static func longDate(_ date: Date) -> String {
        date.formatted(
            Date.FormatStyle(
                date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: Self.london))
    }

    static func isoDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = london
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

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

        /// From the columns as stored (an unknown status reads as a draft, which no step acts on).
        init(id: UUID, status: String, eligibility: String?, team: String, assignedTo: UUID?, assessedBy: UUID?, state: String) {
            self.id = id
            self.status = ApplicationStatus(rawValue: status) ?? .draft
            self.eligibility = eligibility.flatMap(Eligibility.init(rawValue:))
            self.team = team
            self.assignedTo = assignedTo
            self.assessedBy = assessedBy
            self.state = state
        }
    }

    /// The audited fields of a case, as a JSON object: what its audit rows compare before and
    /// after a step. Free text (the assessment, medical findings) is recorded by length only:
    /// the audit trail's readers need not see a case to see who changed it.
    static let stateColumns = stateColumns(of: "applications")

    /// `stateColumns` for the applications row named `table` in a query (an alias, say).
    static func stateColumns(of table: String) -> String {
        let t = table + "."
        return """
            jsonb_build_object('status', \(t)status, 'team', \(t)team, 'assigned_to', \(t)assigned_to, 'eligibility', \(t)eligibility,
                'received_at', \(t)received_at, 'assessed_by', \(t)assessed_by, 'assessed_at', \(t)assessed_at,
                'assessment_characters', length(\(t)assessment), 'decided_at', \(t)decided_at)::text
            """
    }

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
                id: id, status: status, eligibility: eligibility, team: team, assignedTo: assigned, assessedBy: assessed, state: state)
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
