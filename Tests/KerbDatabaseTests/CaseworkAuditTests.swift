import Audit
import Casework
import Communications
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Testing

/// Issue 10, items 1, 5 and 6: every casework step is one use case that decides access on the
/// case it locked and writes its audit row, with the fields it changed before and after, in the
/// same transaction as the change; a refused or failed step changes nothing and leaves only the
/// refusal; and the service reads an injected clock.
@Suite struct CaseworkAuditTests {
    static let logger = Logger(label: "test")

    struct Row: Equatable {
        let action: String
        let target: String
        let outcome: String
        let changes: [String: [String: String]]
    }

    /// A council with two members of staff, a service on a clock the test moves, and an open case.
    func withCase(
        _ body: (CaseService, TenantDatabase, TenantScope, String, Officer, Officer, ManualTime) async throws -> Void
    ) async throws {
        try await TestDatabase.withAppDatabase { database in
            let tenant = try await TestDatabase.onboardTestTenant().tenant
            let staff = try await TestDatabase.councilStaff(tenant.scope)
            let time = ManualTime(Date(timeIntervalSince1970: 1_790_000_000))  // 21 Sep 2026, a Monday
            let cases = CaseService(database: database, outbox: try Outbox.bundled(), clock: time.clock)
            let alex = Officer(id: staff.first, name: "Alex Morgan")
            let person = PersonDetails(
                fullName: "Margaret Oyelaran", dateOfBirth: Date(timeIntervalSince1970: -400_000_000), addressLine1: "1 Example Street",
                postcode: "SW1A 1AA")
            let reference = try await cases.takeIn(
                tenant.scope, person, confirmedNew: true,
                .init(personID: UUID(), kind: .new, channel: .paper, eligibility: .walking), as: .caseworker(alex), logger: Self.logger)
            try await body(cases, database, tenant.scope, reference, alex, Officer(id: staff.second, name: "Jordan Lee"), time)
        }
    }

    static func trail(_ database: TenantDatabase, _ scope: TenantScope) async throws -> [Row] {
        try await database.transaction(scope, logger: logger) { conn in
            var rows: [Row] = []
            for try await (action, target, outcome, changes) in try await conn.query(
                "SELECT action, target, outcome, changes::text FROM audit_events WHERE action LIKE 'case.%' OR action LIKE 'person.%' OR action LIKE 'access.%' ORDER BY seq",
                logger: logger
            ).decode((String, String, String, String?).self) {
                let parsed =
                    (try? JSONSerialization.jsonObject(with: Data((changes ?? "{}").utf8))) as? [String: [String: Any]] ?? [:]
                rows.append(
                    Row(
                        action: action, target: target, outcome: outcome,
                        changes: parsed.mapValues { $0.mapValues { value in value is NSNull ? "null" : "\(value)" } }))
            }
            return rows
        }
    }

    @Test func eachStepIsAuditedWithTheFieldsItChangedAndTheChainStillVerifies() async throws {
        try await withCase { cases, database, scope, reference, alex, jordan, time in
            time.advance(by: 86_400)
            try await cases.assess(
                scope, reference: reference, findings: "Walks 20 m with two sticks", as: .caseworker(alex), logger: Self.logger)
            time.advance(by: 86_400)
            try await cases.decide(
                scope, reference: reference, outcome: .approved, reasons: [], rationale: "", as: .caseworker(jordan), logger: Self.logger)
            let trail = try await Self.trail(database, scope)
            #expect(trail.map(\.action) == ["person.add", "case.open", "case.assess", "case.decide"])
            #expect(trail.allSatisfy { $0.outcome == "done" })
            #expect(trail[1].target == reference && trail[1].changes["status"]?["before"] == "null")
            #expect(trail[1].changes["status"]?["after"] == "RECEIVED")
            let assess = trail[2]
            #expect(assess.target == reference)
            #expect(assess.changes["status"] == ["before": "RECEIVED", "after": "ASSESSED"])
            #expect(assess.changes["assessed_by"] == ["before": "null", "after": alex.id.uuidString.lowercased()])
            // Medical findings are recorded by length only.
            #expect(assess.changes["assessment_characters"] == ["before": "null", "after": "26"])
            #expect(!assess.changes.keys.contains("assessment"))
            // Unchanged fields are not listed.
            #expect(assess.changes["team"] == nil && assess.changes["eligibility"] == nil)
            #expect(trail[3].changes["status"] == ["before": "ASSESSED", "after": "APPROVED"])
            // The clock the service reads is the one the test moved.
            let file = try await cases.file(scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.receivedAt == Date(timeIntervalSince1970: 1_790_000_000))
            #expect(file.decision?.decidedAt == Date(timeIntervalSince1970: 1_790_000_000 + 2 * 86_400))
            // The in-schema chain and the outside check (which recomputes each row itself) agree.
            #expect(try await AuditLog.firstBrokenEntry(database: database, scope: scope, logger: Self.logger) == nil)
            let check = try await TestDatabase.prepared().session { session in try AuditAnchors.verify(session, scope) }
            #expect(check.rows >= 4)
        }
    }

    @Test func anEditedBeforeAndAfterBreaksTheChainAtThatRow() async throws {
        try await withCase { cases, database, scope, reference, alex, _, _ in
            try await cases.assess(scope, reference: reference, findings: "Walks 20 m", as: .caseworker(alex), logger: Self.logger)
            let seq = try await TestDatabase.prepared().transaction { session in
                try session.enterTenantAsOwner(scope)
                let seq = try session.query("SELECT seq::text FROM audit_events WHERE action = 'case.assess'").first?[0] ?? nil
                try session.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
                try session.query(
                    """
                    UPDATE audit_events SET changes = '{"status": {"before": "RECEIVED", "after": "RECEIVED"}}'
                    WHERE action = 'case.assess'
                    """)
                try session.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
                try session.leaveTenant()
                return seq.flatMap { Int64($0) }
            }
            let broken = try #require(seq)
            #expect(try await AuditLog.firstBrokenEntry(database: database, scope: scope, logger: Self.logger) == broken)
            await #expect(throws: AuditTrailError.brokenRow(schema: scope.schema, seq: broken, fault: .contentChanged)) {
                _ = try await TestDatabase.prepared().session { session in try AuditAnchors.verify(session, scope) }
            }
        }
    }

    @Test func aStepRefusedOnTheCaseChangesNothingAndLeavesOnlyTheAuditedRefusal() async throws {
        try await withCase { cases, database, scope, reference, alex, jordan, _ in
            // Confined to a team that does not hold the case: the case answers as missing.
            let confined = Actor(
                officer: jordan,
                principal: Principal(
                    userID: jordan.id,
                    groups: [AccessGroup(name: "North only", permissions: [.viewCase, .assessCase], ownTeamsOnly: true)],
                    teams: ["North"]), requestID: "req-confined")
            await #expect(throws: CaseworkError.noSuchCase) {
                try await cases.assess(scope, reference: reference, findings: "x", as: confined, logger: Self.logger)
            }
            await #expect(throws: CaseworkError.noSuchCase) {
                _ = try await cases.file(scope, reference: reference, as: confined, logger: Self.logger)
            }
            // No group grants deciding: 403 with the reason.
            let viewer = Actor(
                officer: jordan, principal: Principal(userID: jordan.id, groups: [AccessGroup(name: "View", permissions: [.viewCase])]))
            await #expect(throws: AccessDenied(reason: .notGranted)) {
                try await cases.decide(
                    scope, reference: reference, outcome: .approved, reasons: [], rationale: "", as: viewer, logger: Self.logger)
            }
            // Whoever assessed may not decide: refused by the policy engine on the locked row.
            try await cases.assess(scope, reference: reference, findings: "Walks 20 m", as: .caseworker(alex), logger: Self.logger)
            await #expect(throws: AccessDenied(reason: .separationOfDuties)) {
                try await cases.decide(
                    scope, reference: reference, outcome: .approved, reasons: [], rationale: "", as: .caseworker(alex), logger: Self.logger)
            }
            // A step the case's status does not allow is rolled back whole: no audit row either.
            await #expect(throws: CaseworkError.wrongStatus(.assessed, action: "assessed")) {
                try await cases.assess(scope, reference: reference, findings: "again", as: .caseworker(jordan), logger: Self.logger)
            }
            let trail = try await Self.trail(database, scope)
            #expect(
                trail.map { "\($0.action) \($0.outcome)" } == [
                    "person.add done", "case.open done", "access.denied denied", "access.denied denied", "access.denied denied",
                    "case.assess done", "access.denied denied",
                ])
            #expect(trail[2].target == "case.assess \(reference)" && trail[3].target == "case.view \(reference)")
            #expect(trail[6].target == "case.decide \(reference)")
            let file = try await cases.file(scope, reference: reference, as: .reader, logger: Self.logger)
            #expect(file.row.status == .assessed && file.decision == nil)
        }
    }
}
