import Audit
import Communications
import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// The badge fee: asking for it through GOV.UK Pay once an application is approved, following
/// the payment to its outcome, and recording outcome and reference on the application. A badge
/// is not ordered while a fee is due (`BadgeService.issue`).
public struct FeePayments: Sendable {
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
    public func reading(_ clock: WallClock) -> FeePayments { FeePayments(database: database, outbox: caseLetters.outbox, clock: clock) }

    public struct Record: Sendable, Equatable {
        public let id: UUID
        public let provider: String
        public let providerID: String?
        public let reference: String
        public let amountPence: Int
        public let status: String
        public let failureCode: String?
        public let nextURL: String?
        public let createdAt: Date
        public let updatedAt: Date

        public var isFinished: Bool { ["success", "failed", "cancelled", "error"].contains(status) }
    }

    /// GOV.UK Pay gives the payer 90 minutes; an unfinished payment younger than that is reused
    /// rather than asking the applicant to pay twice.
    static let paymentLifetime: TimeInterval = 90 * 60

    static func isPaid(_ conn: PostgresConnection, _ applicationID: UUID, _ logger: Logger) async throws -> Bool {
        for try await paid in try await conn.query(
            "SELECT EXISTS (SELECT 1 FROM payments WHERE application_id = \(applicationID) AND status = 'success')", logger: logger
        ).decode(Bool.self) { return paid }
        return false
    }

    /// Creates a GOV.UK Pay payment for the council's fee and sends the applicant the link.
    public func request(
        _ scope: TenantScope, reference: String, gateway: any FeeGateway, returnURL: String, as actor: Actor, logger: Logger
    ) async throws -> Record {
        let officer = actor.officer
        let now = clock.now()
        let (applicationID, fee, reusable) = try await access.run(scope, logger: logger) { conn in
            let row = try await CaseService.authorised(conn, reference, .takePayments, as: actor, lock: false, logger)
            let policy = try await LocalPolicyStore.inForce(scope, on: conn, logger: logger)
            guard row.status == .approved, policy.badge.feePence > 0, try await !Self.isPaid(conn, row.id, logger) else {
                throw CaseworkError.paymentNotNeeded
            }
            let open = try await Self.records(conn, row.id, logger).first {
                $0.provider == "GOVUKPAY" && !$0.isFinished && now.timeIntervalSince($0.createdAt) < Self.paymentLifetime
            }
            return (row.id, policy.badge.feePence, open)
        }
        if let reusable { return reusable }
        let payment = try await gateway.create(
            amountPence: fee, reference: reference, description: "Blue Badge fee", returnURL: returnURL)
        return try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                """
                INSERT INTO payments (application_id, provider, provider_id, reference, amount_pence, status, next_url, created_at, updated_at, created_by)
                VALUES (\(applicationID), 'GOVUKPAY', \(payment.id), \(reference), \(fee), \(payment.status), \(payment.nextURL), \(now), \(now), \(officer.id))
                """, logger: logger)
            try await CaseService.event(conn, applicationID, officer, "payment-requested", "fee \(Self.pounds(fee)) via GOV.UK Pay", logger)
            try await caseLetters.record(
                .paymentRequest, conn, applicationID, officer, ["paymentLink": payment.nextURL ?? ""], now: now, logger)
            guard let record = try await Self.records(conn, applicationID, logger).first else { throw CaseworkError.noSuchCase }
            try await AuditLog.record(
                actor.audit("payment.request", target: reference, detail: "fee \(Self.pounds(fee)), GOV.UK Pay \(payment.id)"),
                on: conn, logger: logger)
            return record
        }
    }

    /// Asks GOV.UK Pay for the outcome of every unfinished payment on the case and records it.
    /// Returns the case's payments, newest first.
    @discardableResult
    public func refresh(_ scope: TenantScope, reference: String, gateway: any FeeGateway, as actor: Actor, logger: Logger)
        async throws -> [Record]
    {
        let officer = actor.officer
        let now = clock.now()
        let (applicationID, open) = try await access.run(scope, logger: logger) { conn in
            let row = try await CaseService.authorised(conn, reference, .viewCase, as: actor, lock: false, logger)
            return (row.id, try await Self.records(conn, row.id, logger).filter { $0.provider == "GOVUKPAY" && !$0.isFinished })
        }
        var outcomes: [(Record, FeePayment)] = []
        for record in open {
            guard let providerID = record.providerID else { continue }
            outcomes.append((record, try await gateway.payment(id: providerID)))
        }
        return try await database.transaction(scope, logger: logger) { conn in
            for (record, outcome) in outcomes where outcome.status != record.status {
                _ = try await conn.query(
                    """
                    UPDATE payments SET status = \(outcome.status), failure_code = \(outcome.failureCode),
                        next_url = CASE WHEN \(outcome.finished) THEN NULL ELSE next_url END, updated_at = \(now)
                    WHERE id = \(record.id)
                    """, logger: logger)
                let detail =
                    outcome.status == "success"
                    ? "fee \(Self.pounds(record.amountPence)) paid (GOV.UK Pay \(record.providerID ?? ""))"
                    : "payment \(outcome.status)" + (outcome.failureCode.map { " (\($0))" } ?? "")
                try await CaseService.event(conn, applicationID, officer, "payment", detail, logger)
                try await AuditLog.record(
                    actor.audit("payment.status", target: reference, detail: detail), before: AuditLog.fields(["status": record.status]),
                    after: AuditLog.fields(["status": outcome.status]), on: conn, logger: logger)
            }
            return try await Self.records(conn, applicationID, logger)
        }
    }

    /// A fee the national online form already took (its reference travels with the application).
    static func recordNationalPayment(
        _ conn: PostgresConnection, _ applicationID: UUID, reference: String, amountPence: Int, at: Date, _ logger: Logger
    ) async throws {
        _ = try await conn.query(
            """
            INSERT INTO payments (application_id, provider, reference, amount_pence, status, created_at, updated_at)
            VALUES (\(applicationID), 'NATIONAL', \(reference), \(amountPence), 'success', \(at), \(at))
            """, logger: logger)
    }

    public func payments(_ scope: TenantScope, reference: String, logger: Logger) async throws -> [Record] {
        try await database.transaction(scope, logger: logger) { conn in
            let row = try await CaseService.row(conn, reference, lock: false, logger)
            return try await Self.records(conn, row.id, logger)
        }
    }

    static func records(_ conn: PostgresConnection, _ applicationID: UUID, _ logger: Logger) async throws -> [Record] {
        var result: [Record] = []
        for try await row in try await conn.query(
            """
            SELECT id, provider, provider_id, reference, amount_pence, status, failure_code, next_url, created_at, updated_at
            FROM payments WHERE application_id = \(applicationID) ORDER BY created_at DESC
            """, logger: logger
        ).decode((UUID, String, String?, String, Int, String, String?, String?, Date, Date).self) {
            result.append(
                Record(
                    id: row.0, provider: row.1, providerID: row.2, reference: row.3, amountPence: row.4, status: row.5,
                    failureCode: row.6, nextURL: row.7, createdAt: row.8, updatedAt: row.9))
        }
        return result
    }

    static func pounds(_ pence: Int) -> String { String(format: "£%d.%02d", pence / 100, pence % 100) }
}
