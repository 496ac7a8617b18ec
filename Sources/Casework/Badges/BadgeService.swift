import Audit
import Communications
import Foundation
import KerbCore
import Logging
import NationalBlueBadge
import Policy
import PostgresNIO
import Storage

/// A badge as the council holds it.
public struct Badge: Sendable, Equatable {
    public let number: String
    public let applicationReference: String?
    public let personID: UUID
    public let holderName: String
    public let eligibility: String
    public let start: Day
    public let expiry: Day
    public let deliverTo: DeliverTo
    public let status: BadgeStatus
    public let cancelReason: CancelReason?
    public let replaceReason: ReplacementReason?
    public let replaces: String?
    public let orderedAt: Date
    public let issuedAt: Date?
    public let renewalInvitedAt: Date?

    /// Expired is derived from the date, never stored, so it cannot drift.
    public func isExpired(today: Day) -> Bool { expiry < today }
    /// Usable (or about to be): ordered or issued and not expired.
    public func isLive(today: Day) -> Bool { [.ordered, .issued].contains(status) && !isExpired(today: today) }
    public func statusLabel(today: Day) -> String {
        isExpired(today: today) && [.ordered, .issued].contains(status) ? "Expired" : status.label
    }
}

/// Badges and their lifecycle: ordering from the national register after approval and payment,
/// within the statutory three years and the council's own validity; replacement keeping the old
/// expiry; issue, cancellation, and renewal invitations before expiry.
public struct BadgeService: Sendable {
    public let database: TenantDatabase
    public let clock: WallClock
    let caseLetters: CaseLetters
    let access: CaseAccess

    public init(database: TenantDatabase, outbox: Outbox, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
        self.caseLetters = CaseLetters(outbox: outbox)
        self.access = CaseAccess(database: database)
    }

    /// The same service reading `clock` (a test's moment, or one "now" for a batch).
    public func reading(_ clock: WallClock) -> BadgeService {
        BadgeService(database: database, outbox: caseLetters.outbox, clock: clock)
    }

    /// The badge `number`, once `actor` may do `permission` to the case it came from (a badge
    /// of another team's case answers as a missing badge), in the caller's transaction.
    static func authorised(
        _ conn: PostgresConnection, _ number: String, _ permission: Permission, as actor: Actor, lock: Bool = false, _ logger: Logger
    ) async throws -> Badge {
        let badge = try await Self.badge(conn, number, logger, lock: lock)
        var team: String?
        if let reference = badge.applicationReference { team = try await CaseService.row(conn, reference, lock: false, logger).team }
        try CaseAccess.check(actor, permission, AccessTarget(team: team), resource: badge.number, hidden: CaseworkError.noSuchBadge)
        return badge
    }

    /// The audited fields of a badge, as a JSON object (nil if there is none).
    static func state(_ conn: PostgresConnection, _ number: String, _ logger: Logger) async throws -> String? {
        for try await value in try await conn.query(
            """
            SELECT jsonb_build_object('badge_number', badge_number, 'status', status, 'start_date', start_date, 'expiry_date', expiry_date,
                'deliver_to', deliver_to, 'cancel_reason', cancel_reason, 'replace_reason', replace_reason,
                'renewal_invited_at', renewal_invited_at)::text
            FROM badges WHERE badge_number = \(number)
            """, logger: logger
        ).decode(String.self) { return value }
        return nil
    }

    /// What the issue form offers for an application, and whether it may be issued yet.
    public struct Plan: Sendable {
        public let applicationStatus: ApplicationStatus
        public let kind: ApplicationKind
        public let feePence: Int
        public let feePaid: Bool
        public let start: Day
        public let expiry: Day
        /// The latest expiry the law and the council's policy allow for `start`.
        public let latestExpiry: Day
        /// How long a badge may last here: the council's validity, never beyond the statutory 3 years.
        public let allowedMonths: Int
        /// A replacement keeps the old badge's expiry; the officer cannot change it.
        public let expiryFixed: Bool
        public let deliverTo: DeliverTo
        public let existingBadge: Badge?
        public let badge: Badge?
        /// An order sent to the register but not recorded (a crash between the two).
        public let orderInFlightSince: Date?

        public var canIssue: Bool {
            applicationStatus == .approved && (feePence == 0 || feePaid) && badge == nil && orderInFlightSince == nil
        }
    }

    /// The statutory ceiling: a badge lasts at most three years (inclusive, as the register checks).
    public static let statutoryMaxMonths = 36

    public func plan(_ scope: TenantScope, reference: String, today: Day, logger: Logger) async throws -> Plan {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.plan(conn, reference, today, logger)
        }
    }

    static func plan(_ conn: PostgresConnection, _ reference: String, _ today: Day, _ logger: Logger) async throws -> Plan {
        let row = try await CaseService.row(conn, reference, lock: false, logger)
        let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger)
        var kind = ApplicationKind.new
        var existingNumber: String?
        for try await (k, existing) in try await conn.query(
            "SELECT kind, existing_badge FROM applications WHERE id = \(row.id)", logger: logger
        ).decode((String, String?).self) {
            kind = ApplicationKind(rawValue: k) ?? .new
            existingNumber = existing
        }
        let existing = try await existingNumber.asyncMap { try await Self.badge(conn, $0, logger) }
        var issued: Badge?
        for try await number in try await conn.query("SELECT badge_number FROM badges WHERE application_id = \(row.id)", logger: logger)
            .decode(String.self)
        { issued = try await Self.badge(conn, number, logger) }
        var inFlight: Date?
        for try await at in try await conn.query(
            "SELECT started_at FROM badge_orders WHERE application_id = \(row.id) AND badge_number IS NULL", logger: logger
        ).decode(Date.self) { inFlight = at }
        let paid = try await FeePayments.isPaid(conn, row.id, logger)
        // A renewal starts when the old badge ends, so the holder is never without one.
        var start = today
        if kind == .renew, let existing, existing.isLive(today: today), existing.expiry.adding(days: 1) > today {
            start = existing.expiry.adding(days: 1)
        }
        let months = min(policy.badge.validityMonths, Self.statutoryMaxMonths)
        let latest = start.adding(months: months)
        let fixed = kind == .replace && existing != nil
        return Plan(
            applicationStatus: row.status, kind: kind, feePence: policy.badge.feePence, feePaid: paid,
            start: fixed ? today : start, expiry: fixed ? existing!.expiry : latest, latestExpiry: fixed ? existing!.expiry : latest,
            allowedMonths: months,
            expiryFixed: fixed, deliverTo: policy.badge.delivery == .council ? .council : .home, existingBadge: existing, badge: issued,
            orderInFlightSince: inFlight)
    }

    /// The dates an officer asked for, checked against the law and the council's policy.
    static func problems(start: Day, expiry: Day, today: Day, latest: Day) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        if start < today { issues.append(FieldIssue(field: "start", message: "The start date cannot be in the past")) }
        if expiry < start { issues.append(FieldIssue(field: "expiry", message: "The expiry date must be on or after the start date")) }
        if expiry > start.adding(months: statutoryMaxMonths) {
            issues.append(
                FieldIssue(
                    field: "expiry",
                    message:
                        "A Blue Badge lasts at most 3 years: the expiry date must be on or before \(start.adding(months: statutoryMaxMonths).long)"
                ))
        } else if expiry > latest {
            issues.append(
                FieldIssue(field: "expiry", message: "The council's policy allows badges to last until \(latest.long) at the latest"))
        }
        return issues
    }

    /// Orders the badge for an approved (and, where a fee is due, paid) application from the
    /// national register, and records it as ORDERED. A replacement replaces the old badge and
    /// keeps its expiry. The order is marked in flight before the register is called, so it
    /// cannot be sent twice.
    @discardableResult
    public func issue(
        _ scope: TenantScope, reference: String, start: Day, expiry: Day?, deliverTo: DeliverTo, option: DeliveryOption,
        register: any BadgeRegister, as actor: Actor, logger: Logger
    ) async throws -> String {
        let officer = actor.officer
        let now = clock.now()
        let today = Day(now)
        if deliverTo == .council, option == .fast {
            throw CaseworkError.invalid([
                FieldIssue(field: "delivery-option", message: "Fast track is only available for delivery to the holder's home")
            ])
        }
        // 1. Check everything and mark the order in flight.
        let (applicationID, order, replacing) = try await access.run(scope, logger: logger) { conn in
            _ = try await CaseService.authorised(conn, reference, .issueBadge, as: actor, lock: true, logger)
            let plan = try await Self.plan(conn, reference, today, logger)
            guard plan.applicationStatus == .approved else {
                throw CaseworkError.wrongStatus(plan.applicationStatus, action: "given a badge")
            }
            guard plan.badge == nil, plan.orderInFlightSince == nil else { throw CaseworkError.badgeAlreadyOrdered }
            guard plan.feePence == 0 || plan.feePaid else { throw CaseworkError.feeNotPaid }
            var replacing: (old: Badge, reason: ReplacementReason)?
            if plan.kind == .replace {
                guard let old = plan.existingBadge, old.status == .issued, !old.isExpired(today: today) else {
                    throw CaseworkError.badgeNotLive("Only an issued badge that has not expired can be replaced")
                }
                replacing = (old, try await Self.replaceReason(conn, reference, logger))
            }
            let expiry = plan.expiryFixed ? plan.expiry : (expiry ?? plan.expiry)
            let start = plan.expiryFixed ? today : start
            // A replacement keeps the old expiry, which the old badge's terms already bounded.
            let latest = plan.expiryFixed ? plan.expiry : start.adding(months: plan.allowedMonths)
            let issues = Self.problems(start: start, expiry: expiry, today: today, latest: latest)
            guard issues.isEmpty else { throw CaseworkError.invalid(issues) }
            let order = try await Self.order(conn, reference, start: start, expiry: expiry, deliverTo: deliverTo, option: option, logger)
            let row = try await CaseService.row(conn, reference, lock: true, logger)
            _ = try await conn.query(
                "INSERT INTO badge_orders (application_id, started_at, started_by) VALUES (\(row.id), \(now), \(officer.id))",
                logger: logger)
            return (row.id, order, replacing)
        }
        // 2. Ask the register. On failure, clear the in-flight mark so the officer can retry.
        let number: String
        do {
            if let replacing {
                number = try await register.replace(
                    number: replacing.old.number, reason: replacing.reason, deliverTo: deliverTo, option: option)
            } else {
                number = try await register.order(order)
            }
        } catch {
            try await database.transaction(scope, logger: logger) { conn in
                _ = try await conn.query("DELETE FROM badge_orders WHERE application_id = \(applicationID)", logger: logger)
            }
            throw error
        }
        // 3. Record the badge the register numbered. An answer Kerb cannot record (a malformed
        // number, or one the council already holds) must not leave the order stuck in flight:
        // it is cleared, the case's timeline says what the register answered, and the officer
        // gets a 409 that says what to do.
        guard BadgeNumber.isValid(number) else {
            try await unusableAnswer(scope, applicationID, reference, actor, "a malformed badge number", logger: logger)
            throw CaseworkError.registerAnswerUnusable("a malformed badge number")
        }
        do {
            try await record(scope, applicationID, number, order, replacing, deliverTo, option, actor, now, logger)
        } catch  where DatabaseRefusal.refused(error, with: DatabaseRefusal.uniqueViolation) {
            let why = "badge number \(number), which this council already holds"
            try await unusableAnswer(scope, applicationID, reference, actor, why, logger: logger)
            throw CaseworkError.registerAnswerUnusable(why)
        }
        return number
    }

    /// Step 3 of `issue`: the badge, the old one replaced, the timeline and the letter, at once.
    private func record(
        _ scope: TenantScope, _ applicationID: UUID, _ number: String, _ order: BadgeRegisterOrder,
        _ replacing: (old: Badge, reason: ReplacementReason)?,
        _ deliverTo: DeliverTo, _ option: DeliveryOption, _ actor: Actor, _ now: Date, _ logger: Logger
    ) async throws {
        let officer = actor.officer
        try await database.transaction(scope, logger: logger) { conn in
            let replacedBefore = try await replacing.asyncMap { try await Self.state(conn, $0.old.number, logger) }
            _ = try await conn.query(
                "UPDATE badge_orders SET badge_number = \(number) WHERE application_id = \(applicationID)", logger: logger)
            var replaces: String?
            if let replacing {
                _ = try await conn.query(
                    """
                    UPDATE badges SET status = 'REPLACED', replace_reason = \(replacing.reason.rawValue), ended_at = \(now)
                    WHERE badge_number = \(replacing.old.number)
                    """, logger: logger)
                replaces = replacing.old.number
            }
            _ = try await conn.query(
                """
                INSERT INTO badges (badge_number, application_id, person_id, eligibility, start_date, expiry_date, deliver_to,
                    delivery_option, status, replaces, ordered_at, ordered_by)
                SELECT \(number), a.id, a.person_id, \(order.eligibility?.rawValue ?? "ORG"), \(order.start.iso)::date, \(order.expiry.iso)::date,
                    \(deliverTo.rawValue), \(option.rawValue), 'ORDERED', \(replaces), \(now), \(officer.id)
                FROM applications a WHERE a.id = \(applicationID)
                """, logger: logger)
            try await CaseService.event(
                conn, applicationID, officer, "badge-ordered",
                "badge \(number), \(order.start.iso) to \(order.expiry.iso), to \(deliverTo.rawValue.lowercased())"
                    + (replaces.map { "; replaces \($0)" } ?? ""), logger)
            try await caseLetters.record(
                .badgeOrdered, conn, applicationID, officer,
                [
                    "badgeNumber": number, "startDate": order.start.long, "expiryDate": order.expiry.long,
                    "toCouncil": deliverTo == .council, "replaces": replaces ?? "",
                ], now: now, logger)
            try await AuditLog.record(
                actor.audit("badge.order", target: number, detail: order.applicationReference), before: nil,
                after: try await Self.state(conn, number, logger), on: conn, logger: logger)
            if let replaces {
                try await AuditLog.record(
                    actor.audit("badge.replace", target: replaces, detail: "replaced by \(number)"), before: replacedBefore ?? nil,
                    after: try await Self.state(conn, replaces, logger), on: conn, logger: logger)
            }
        }
    }

    /// Clears the in-flight mark and records on the case what the register answered.
    private func unusableAnswer(
        _ scope: TenantScope, _ applicationID: UUID, _ reference: String, _ actor: Actor, _ why: String, logger: Logger
    ) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("DELETE FROM badge_orders WHERE application_id = \(applicationID)", logger: logger)
            try await CaseService.event(
                conn, applicationID, actor.officer, "badge-order-unusable",
                "the national register answered with \(why); no badge recorded — check with the national service before ordering again",
                logger)
            try await AuditLog.record(
                actor.audit("badge.order-unusable", target: reference, detail: why), on: conn, logger: logger)
        }
    }

    private static func replaceReason(_ conn: PostgresConnection, _ reference: String, _ logger: Logger) async throws
        -> ReplacementReason
    {
        for try await reason in try await conn.query(
            "SELECT replace_reason FROM applications WHERE reference = \(reference)", logger: logger
        )
        .decode(String?.self) {
            if let reason = reason.flatMap(ReplacementReason.init(rawValue:)) { return reason }
        }
        throw CaseworkError.invalid([
            FieldIssue(field: "replace-reason", message: "The application does not say why a replacement is needed")
        ])
    }

    static func order(
        _ conn: PostgresConnection, _ reference: String, start: Day, expiry: Day, deliverTo: DeliverTo, option: DeliveryOption,
        _ logger: Logger
    ) async throws -> BadgeRegisterOrder {
        for try await row in try await conn.query(
            """
            SELECT p.full_name, p.date_of_birth::text, p.nino, p.address_line1, p.address_line2, p.town, p.postcode,
                coalesce(p.phone, ''), p.email, coalesce(a.received_at, a.created_at), a.channel, a.eligibility, p.kind = 'organisation'
            FROM applications a JOIN people p ON p.id = a.person_id WHERE a.reference = \(reference)
            """, logger: logger
        ).decode((String, String?, String?, String, String, String, String, String, String?, Date, String, String?, Bool).self) {
            let eligibility = row.11.flatMap(Eligibility.init(rawValue:))
            guard eligibility != nil || row.12 else {
                throw CaseworkError.invalid([FieldIssue(field: "eligibility", message: "The application has no eligibility criterion")])
            }
            return BadgeRegisterOrder(
                applicationReference: reference, holderName: row.0, dateOfBirth: row.1.flatMap { Day(iso: $0) }, nino: row.2,
                addressLine1: row.3, addressLine2: row.4, town: row.5, postcode: row.6, phone: row.7, email: row.8,
                applicationDate: Day(row.9), channel: Channel(rawValue: row.10) ?? .paper, eligibility: eligibility, organisation: row.12,
                start: start,
                expiry: expiry, deliverTo: deliverTo, option: option)
        }
        throw CaseworkError.noSuchCase
    }

    /// The register confirmed the badge was printed and sent (or handed over at the council).
    public func recordIssued(_ scope: TenantScope, number: String, as actor: Actor, logger: Logger) async throws {
        let now = clock.now()
        try await access.run(scope, logger: logger) { conn in
            let badge = try await Self.authorised(conn, number, .issueBadge, as: actor, lock: true, logger)
            guard badge.status == .ordered else { throw CaseworkError.badgeNotLive("Only an ordered badge can be recorded as issued") }
            let before = try await Self.state(conn, badge.number, logger)
            _ = try await conn.query(
                "UPDATE badges SET status = 'ISSUED', issued_at = \(now) WHERE badge_number = \(badge.number)", logger: logger)
            try await Self.badgeEvent(conn, badge.number, actor.officer, "badge-issued", "badge \(badge.number) issued", logger)
            try await AuditLog.record(
                actor.audit("badge.issued", target: badge.number), before: before, after: try await Self.state(conn, badge.number, logger),
                on: conn, logger: logger)
        }
    }

    /// Cancels a live badge in the register and here, with the scheme's reason.
    public func cancel(
        _ scope: TenantScope, number: String, reason: CancelReason, register: any BadgeRegister, as actor: Actor, logger: Logger
    ) async throws {
        let now = clock.now()
        let today = Day(now)
        let badge = try await access.run(scope, logger: logger) { conn in
            try await Self.authorised(conn, number, .issueBadge, as: actor, logger)
        }
        let number = badge.number
        guard badge.isLive(today: today) else {
            throw CaseworkError.badgeNotLive("Only an ordered or issued badge that has not expired can be cancelled")
        }
        try await register.cancel(number: number, reason: reason)
        try await database.transaction(scope, logger: logger) { conn in
            let before = try await Self.state(conn, number, logger)
            _ = try await conn.query(
                """
                UPDATE badges SET status = 'CANCELLED', cancel_reason = \(reason.rawValue), ended_at = \(now)
                WHERE badge_number = \(number) AND status IN ('ORDERED', 'ISSUED')
                """, logger: logger)
            try await Self.badgeEvent(
                conn, number, actor.officer, "badge-cancelled", "badge \(number) cancelled: \(reason.rawValue)", logger)
            try await AuditLog.record(
                actor.audit("badge.cancel", target: number, detail: reason.rawValue), before: before,
                after: try await Self.state(conn, number, logger), on: conn, logger: logger)
        }
    }

    /// The badge, if `actor` may see the case it came from; the view is logged with the read.
    public func badge(_ scope: TenantScope, number: String, as actor: Actor, logger: Logger) async throws -> Badge {
        try await access.run(scope, logger: logger) { conn in
            let badge = try await Self.authorised(conn, number, .viewCase, as: actor, logger)
            try await ViewLog.record(RecordView(.badge, badge.number, personID: badge.personID), by: actor.viewer, on: conn, logger: logger)
            return badge
        }
    }

    /// A badge read in another module's transaction (an enforcement case shows the badge it is
    /// about, whoever's case it came from), or nil if the council holds no such badge.
    public static func linked(_ conn: PostgresConnection, number: String, logger: Logger) async throws -> Badge? {
        do { return try await badge(conn, number, logger) } catch CaseworkError.noSuchBadge { return nil }
    }

    /// A person's badges, newest first.
    public func badges(_ scope: TenantScope, personID: UUID, logger: Logger) async throws -> [Badge] {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.badges(conn, where: "b.person_id = $1::uuid", [personID.uuidString], logger)
        }
    }

    /// Live badges expiring within `days` of `today` whose holder has not been invited to renew,
    /// from cases of `visibleTeams` (nil: all), so a team-confined officer sees only their own.
    public func renewalsDue(_ scope: TenantScope, today: Day, withinDays days: Int, visibleTeams: Set<String>?, logger: Logger)
        async throws -> [Badge]
    {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.badges(
                conn, where: Self.renewalDue, [today.iso, String(days)], visibleTeams: visibleTeams, tail: "ORDER BY b.expiry_date",
                logger)
        }
    }

    /// Sends the renewal invitation to every holder whose badge expires within the council's
    /// `renewal_invitation_days`, once per badge, on cases of `visibleTeams` (nil: all, as the
    /// scheduled run does), so nobody writes to another team's applicants. Returns how many were sent.
    public func inviteRenewals(_ scope: TenantScope, as actor: Actor, logger: Logger) async throws -> Int {
        let officer = actor.officer
        let now = clock.now()
        let visibleTeams = actor.visibleTeams(through: [.viewCase, .sendCommunications])
        return try await access.run(scope, logger: logger) { conn in
            try CaseAccess.check(actor, .sendCommunications, .none, resource: "renewal invitations", hidden: CaseworkError.noSuchBadge)
            let policy = try await LocalPolicyStore.inForce(scope, on: conn, logger: logger)
            let due = try await Self.badges(
                conn, where: Self.renewalDue, [Day(now).iso, String(policy.badge.renewalInvitationDays)], visibleTeams: visibleTeams,
                tail: "ORDER BY b.expiry_date FOR UPDATE OF b SKIP LOCKED", logger)
            var sent = 0
            for badge in due {
                guard let reference = badge.applicationReference else { continue }
                let row = try await CaseService.row(conn, reference, lock: false, logger)
                try await caseLetters.record(
                    .renewalInvitation, conn, row.id, officer, ["badgeNumber": badge.number, "expiryDate": badge.expiry.long], now: now,
                    logger)
                _ = try await conn.query(
                    "UPDATE badges SET renewal_invited_at = \(now) WHERE badge_number = \(badge.number)", logger: logger)
                sent += 1
            }
            if sent > 0 {
                try await AuditLog.record(
                    actor.audit("badge.renewal-invitations", target: "\(sent) badges", detail: due.map(\.number).joined(separator: ", ")),
                    on: conn, logger: logger)
            }
            return sent
        }
    }

    // MARK: reading

    static let renewalDue = """
        b.status IN ('ORDERED', 'ISSUED') AND b.renewal_invited_at IS NULL
        AND b.expiry_date >= $1::date AND b.expiry_date <= $1::date + $2::int
        """

    static let columns = """
        SELECT b.badge_number, a.reference, b.person_id, p.full_name, b.eligibility, b.start_date::text, b.expiry_date::text,
            b.deliver_to, b.status, b.cancel_reason, b.replace_reason, b.replaces, b.ordered_at, b.issued_at, b.renewal_invited_at
        FROM badges b JOIN people p ON p.id = b.person_id LEFT JOIN applications a ON a.id = b.application_id
        """

    static func badge(_ conn: PostgresConnection, _ number: String, _ logger: Logger, lock: Bool = false) async throws -> Badge {
        let normalised = number.trimmingCharacters(in: .whitespaces).uppercased()
        guard
            let badge = try await badges(conn, where: "b.badge_number = $1", [normalised], tail: lock ? "FOR UPDATE OF b" : "", logger)
                .first
        else { throw CaseworkError.noSuchBadge }
        return badge
    }

    /// Badges matching `condition` (SQL over `b`, with `$n` binds); `tail` orders or locks. With
    /// `visibleTeams`, only badges from those teams' cases (a badge without a case is in none).
    static func badges(
        _ conn: PostgresConnection, where condition: String, _ binds: [String], visibleTeams: Set<String>? = nil,
        tail: String = "ORDER BY b.ordered_at DESC", _ logger: Logger
    ) async throws -> [Badge] {
        var bindings = PostgresBindings()
        for value in binds { bindings.append(value) }
        var condition = condition
        if let visibleTeams {
            bindings.append(visibleTeams.sorted())
            condition = "(\(condition)) AND a.team = ANY($\(binds.count + 1)::text[])"
        }
        var result: [Badge] = []
        for try await row in try await conn.query(
            PostgresQuery(unsafeSQL: columns + " WHERE " + condition + " " + tail, binds: bindings), logger: logger
        ).decode(
            (String, String?, UUID, String, String, String, String, String, String, String?, String?, String?, Date, Date?, Date?).self)
        {
            result.append(
                Badge(
                    number: row.0, applicationReference: row.1, personID: row.2, holderName: row.3, eligibility: row.4,
                    start: Day(iso: row.5)!, expiry: Day(iso: row.6)!, deliverTo: DeliverTo(rawValue: row.7) ?? .home,
                    status: BadgeStatus(rawValue: row.8) ?? .ordered, cancelReason: row.9.flatMap(CancelReason.init(rawValue:)),
                    replaceReason: row.10.flatMap(ReplacementReason.init(rawValue:)), replaces: row.11, orderedAt: row.12,
                    issuedAt: row.13, renewalInvitedAt: row.14))
        }
        return result
    }

    /// Badge events go on the timeline of the application the badge came from.
    static func badgeEvent(
        _ conn: PostgresConnection, _ number: String, _ officer: Officer, _ kind: String, _ detail: String, _ logger: Logger
    ) async throws {
        for try await id in try await conn.query(
            "SELECT application_id FROM badges WHERE badge_number = \(number) AND application_id IS NOT NULL", logger: logger
        ).decode(UUID.self) {
            try await CaseService.event(conn, id, officer, kind, detail, logger)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
