import Audit
import Casework
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Logging
import PostgresNIO
import Prometheus
import Storage
import Tenancy
import Testing

@testable import Web

/// Issue 11, item 3: opening a record is logged (who, what, when, from where) in the read's own
/// transaction; the log is beyond a request's reach and sealed into the audit chain, so a later
/// change is caught; the unusual-behaviour rules flag to administrators and `/metrics`.
@Suite struct RecordViewTests {
    static let logger = Logger(label: "test")

    static func views(_ deps: WebDependencies, _ scope: TenantScope, record: String) async throws -> [ViewLog.Entry] {
        try await ViewLog.search(database: deps.identity.database, scope: scope, AuditLog.Filter(record: record), logger: logger)
    }

    @Test func openingACaseLogsWhoWhoseAndFromWhereAndAnotherTeamsCaseLogsNothing() async throws {
        try await withApp(WebConfig(trustedProxies: ["unknown"])) { client, deps in
            let world = try await TeamCompartmentTests.world(client, deps)
            var headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9"]
            headers[.cookie] = await world.priya.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
            let own = try await client.execute(uri: world.priya.base + "/cases/\(world.own)", method: .get, headers: headers)
            #expect(own.status == .ok)
            let foreign = try await client.execute(uri: world.priya.base + "/cases/\(world.foreign)", method: .get, headers: headers)
            #expect(foreign.status == .notFound)

            let logged = try await Self.views(deps, world.scope, record: world.own)
            #expect(logged.count == 1)
            #expect(logged.first?.view.kind == .case && logged.first?.viewer.actorID == world.council.otherID)
            #expect(logged.first?.viewer.client == "203.0.113.9" && logged.first?.view.personID != nil)
            // Refused: no view, and the refusal is in the audit trail instead.
            #expect(try await Self.views(deps, world.scope, record: world.foreign).isEmpty)
            let audit = try await AuditLog.recent(database: deps.identity.database, scope: world.scope, logger: Self.logger)
            #expect(audit.contains { $0.event.action == "access.denied" && $0.event.target.hasSuffix(world.foreign) })

            // Someone who sees every team opens it: now it is logged, with their name and her id.
            #expect(try await world.alex.get("/cases/\(world.foreign)").status == .ok)
            let seen = try await Self.views(deps, world.scope, record: world.foreign)
            #expect(seen.map(\.viewer.actorID) == [world.council.adminID] && seen.first?.view.personID == world.margaret)
            // The audit page lists it under "records opened", filtered by who.
            let page = try await world.alex.get("/admin/audit?show=views&audit-who=alex")
            #expect(page.status == .ok && page.html.contains(world.foreign) && !page.html.contains(world.own))
        }
    }

    @Test func aRequestCannotChangeOrRemoveTheViewLog() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withTenantDatabase { db in
            let viewer = Viewer(actorID: nil, actor: "Test", client: "198.51.100.1", requestID: "r1")
            try await ViewLog.record(
                RecordView(.case, "BB-1", personID: nil), by: viewer, database: db, scope: tenant.scope, logger: Self.logger)
            for sql in ["UPDATE record_views SET client = 'elsewhere'", "DELETE FROM record_views", "TRUNCATE record_views"] {
                let error = await #expect(throws: PSQLError.self, "\(sql)") {
                    try await db.transaction(tenant.scope, logger: Self.logger) { conn in
                        _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).collect()
                    }
                }
                #expect(error?.serverInfo?[.sqlState] == "42501", "\(sql)")
            }
        }
    }

    @Test func sealedViewsVerifyAndAChangeAfterSealingIsCaught() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let scope = tenant.scope
        let sealer = AuditEvent(actorID: nil, actor: "Kerb (scheduled)", action: "")
        try await TestDatabase.withTenantDatabase { db in
            for index in 1...3 {
                try await ViewLog.record(
                    RecordView(.case, "BB-\(index)", personID: UUID()),
                    by: Viewer(actorID: UUID(), actor: "Officer \(index)", client: "198.51.100.\(index)", requestID: "r\(index)"),
                    database: db, scope: scope, logger: Self.logger)
            }
            // Nothing older than a minute yet: nothing sealed.
            #expect(try await ViewLog.seal(as: sealer, database: db, scope: scope, now: Date(), logger: Self.logger) == 0)
            let later = Date().addingTimeInterval(120)
            #expect(try await ViewLog.seal(as: sealer, database: db, scope: scope, now: later, logger: Self.logger) == 3)
            #expect(try await ViewLog.seal(as: sealer, database: db, scope: scope, now: later, logger: Self.logger) == 0)
        }
        let admin = try await TestDatabase.prepared()
        #expect(try await admin.session { session in try AuditAnchors.verify(session, scope) }.rows > 0)

        // The schema's owner slips past the append-only trigger and moves one view elsewhere.
        try await admin.transaction { session in
            try session.enterTenantAsOwner(scope)
            try session.query("ALTER TABLE record_views DISABLE TRIGGER record_views_append_only")
            try session.query("UPDATE record_views SET client = '192.0.2.66' WHERE record = 'BB-2'")
            try session.query("ALTER TABLE record_views ENABLE TRIGGER record_views_append_only")
        }
        let error = await #expect(throws: AuditTrailError.self) {
            try await admin.session { session in try AuditAnchors.verify(session, scope) }
        }
        guard case .viewsRewritten(let schema, _) = error else {
            Issue.record("expected viewsRewritten, got \(String(describing: error))")
            return
        }
        #expect(schema == scope.schema)
    }

    /// `count` views by one person, a second apart from `at`, written straight into the log (as
    /// the schema's owner: the log takes no times from requests).
    static func seed(
        _ scope: TenantScope, actor: UUID, name: String, kind: String = "case", count: Int, at: Date
    ) async throws {
        let when = ISO8601DateFormatter().string(from: at)
        _ = try await TestDatabase.prepared().transaction { session in
            try session.enterTenantAsOwner(scope)
            try session.query(
                """
                INSERT INTO record_views (actor_id, actor, kind, record, at, client)
                SELECT $1::uuid, $2, $3, 'BB-' || g, $4::timestamptz + make_interval(secs => g), '198.51.100.1'
                FROM generate_series(1, $5::int) g
                """, [actor.uuidString, name, kind, when, String(count)])
        }
    }

    static func utc(_ text: String) throws -> Date { try #require(ISO8601DateFormatter().date(from: text)) }

    @Test func theRulesFlagOverTheLimitAboveTheirUsualAndExportsOutOfHoursOnce() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let scope = tenant.scope
        // Wednesday 25 November 2026, 23:10 UTC (GMT in the UK): the pass looks at 20:00 to 23:00.
        let now = try Self.utc("2026-11-25T23:10:00Z")
        let (ana, ben, cara, dev) = (UUID(), UUID(), UUID(), UUID())
        try await Self.seed(scope, actor: ana, name: "Ana", count: 151, at: try Self.utc("2026-11-25T22:00:00Z"))
        // Ben usually opens 5 an hour (ten working hours this month); 40 in one hour is eight times that.
        for day in 10...19 { try await Self.seed(scope, actor: ben, name: "Ben", count: 5, at: try Self.utc("2026-11-\(day)T10:00:00Z")) }
        try await Self.seed(scope, actor: ben, name: "Ben", count: 40, at: try Self.utc("2026-11-25T21:00:00Z"))
        // Dev is new: 40 in an hour with no usual to compare is under the limit, so not flagged.
        try await Self.seed(scope, actor: dev, name: "Dev", count: 40, at: try Self.utc("2026-11-25T21:00:00Z"))
        // Cara exports someone's personal data at 21:30, after the working day ends at 19:00.
        try await Self.seed(scope, actor: cara, name: "Cara", kind: "export", count: 1, at: try Self.utc("2026-11-25T21:30:00Z"))
        let sealer = AuditEvent(actorID: nil, actor: "Kerb (scheduled)", action: "")
        let rules = BehaviourRules(viewsPerHourLimit: 150, usualMultiple: 4, minimumViews: 30, workdayStartHour: 7, workdayEndHour: 19)
        try await TestDatabase.withTenantDatabase { db in
            let raised = try await BehaviourFlags.evaluate(rules, now: now, as: sealer, database: db, scope: scope, logger: Self.logger)
            let found = Set(raised.map { "\($0.actor) \($0.rule.rawValue) \($0.observed)/\($0.threshold)" })
            #expect(found == ["Ana views-over-limit 151/150", "Ben views-above-usual 40/20", "Cara export-out-of-hours 1/0"])
            #expect(try await BehaviourFlags.evaluate(rules, now: now, as: sealer, database: db, scope: scope, logger: Self.logger).isEmpty)
            let audit = try await AuditLog.recent(database: db, scope: scope, logger: Self.logger)
            #expect(audit.filter { $0.event.action == "monitoring.flagged" }.count == 3)

            // An export at 10:00 on a weekday is not flagged; the same at 10:00 on a Saturday is.
            try await Self.seed(scope, actor: cara, name: "Cara", kind: "export", count: 1, at: try Self.utc("2026-11-26T10:00:00Z"))
            #expect(
                try await BehaviourFlags.evaluate(
                    rules, now: try Self.utc("2026-11-26T11:05:00Z"), as: sealer, database: db, scope: scope, logger: Self.logger
                ).isEmpty)
            try await Self.seed(scope, actor: cara, name: "Cara", kind: "export", count: 1, at: try Self.utc("2026-11-28T10:00:00Z"))
            let saturday = try await BehaviourFlags.evaluate(
                rules, now: try Self.utc("2026-11-28T11:05:00Z"), as: sealer, database: db, scope: scope, logger: Self.logger)
            #expect(saturday.map(\.rule) == [.exportOutOfHours])
        }
    }

    @Test func aFlagReachesMetricsAndTheAdministratorsWhoCloseItWithANote() async throws {
        let metrics = PrometheusCollectorRegistry()
        try await withApp(WebConfig(metricsToken: "t0ken"), metrics: metrics) { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Case officers"])
            let scope = council.tenant.scope
            let hourAgo = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600 - 3600)
            try await Self.seed(scope, actor: council.otherID, name: "Priya Shah", count: 151, at: hourAgo)
            try await ScheduledCasework(deps: deps, logger: Self.logger).runOnce(only: [council.tenant])

            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer t0ken"]) { response in
                #expect(String(buffer: response.body).contains(#"kerb_behaviour_flags_total{rule="views-over-limit"} 1"#))
            }
            // A case officer cannot see the flags page; the administrator can.
            #expect(try await council.other.get("/admin/flags").status == .forbidden)
            let page = try await council.admin.get("/admin/flags")
            #expect(page.status == .ok && page.html.contains("opened more records in an hour than local policy allows"))
            let flag = try #require(
                try await BehaviourFlags.list(database: deps.identity.database, scope: scope, logger: Self.logger).first)
            let path = "/admin/flags/\(flag.id.uuidString.lowercased())/close"
            #expect(try await council.admin.post(path, [("flag-note", "")]).status == .unprocessableContent)
            #expect(try await council.admin.post(path, [("flag-note", "Bulk renewal check agreed with the manager")]).status == .seeOther)
            #expect(try await council.admin.post(path, [("flag-note", "again")]).status == .notFound)
            let closed = try await BehaviourFlags.list(database: deps.identity.database, scope: scope, logger: Self.logger)
            #expect(closed.first?.closedNote == "Bulk renewal check agreed with the manager")
            let audit = try await AuditLog.recent(database: deps.identity.database, scope: scope, logger: Self.logger)
            #expect(audit.contains { $0.event.action == "monitoring.closed" && $0.event.actorID == council.adminID })
            // The pass also sealed the views it could: the chain holds a seal.
            #expect(audit.contains { $0.event.action == "views.sealed" })
        }
    }
}
