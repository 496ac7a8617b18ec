import Audit
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import PostgresNIO
import Storage
import Tenancy
import Testing

/// Issue 9, item 7: the chain is anchored outside the council's schema, so a consistent rewrite
/// of the whole trail (which the in-schema chain cannot see) is caught, and a single edited row
/// is named.
@Suite struct AuditAnchorTests {
    static let logger = Logger(label: "test")

    /// A council with `count` audit rows of its own, written the way requests write them.
    static func tenantWithTrail(_ count: Int) async throws -> Tenant {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withTenantDatabase { db in
            for i in 1...count {
                try await AuditLog.record(
                    AuditEvent(actorID: nil, actor: "Test", action: "test.step", target: "\(i)", detail: "step \(i)"), database: db,
                    scope: tenant.scope, logger: logger)
            }
        }
        return tenant
    }

    static func rows(_ scope: TenantScope) async throws -> Int64 {
        let rows = try await TestDatabase.admin.transaction { session in
            try session.enterTenant(scope)
            return try session.query("SELECT count(*)::text FROM audit_events")
        }
        return rows.first?.first.flatMap { $0.flatMap { Int64($0) } } ?? -1
    }

    static func verify(_ scope: TenantScope) async throws -> AuditTrailCheck {
        try await TestDatabase.prepared().session { session in try AuditAnchors.verify(session, scope) }
    }

    static func anchor(_ scope: TenantScope) async throws -> Bool {
        try await TestDatabase.prepared().session { session in try AuditAnchors.anchor(session, scope, actor: "test").recorded }
    }

    @Test func anAnchorIsTakenOnlyWhenTheHeadMovesAndAGrownTrailStillVerifies() async throws {
        let tenant = try await Self.tenantWithTrail(3)
        let scope = tenant.scope
        let before = try await Self.verify(scope)
        let counted = try await Self.rows(scope)
        #expect(before.anchor == nil && before.rows == counted)
        #expect(try await Self.anchor(scope))
        #expect(try await Self.anchor(scope) == false)
        let anchored = try await Self.verify(scope)
        #expect(anchored.anchor?.rowCount == anchored.rows && anchored.anchor?.headHash == anchored.headHash)
        try await TestDatabase.withTenantDatabase { db in
            try await AuditLog.record(
                AuditEvent(actorID: nil, actor: "Test", action: "test.more"), database: db, scope: scope, logger: Self.logger)
        }
        let grown = try await Self.verify(scope)
        #expect(grown.rows == anchored.rows + 1 && grown.anchor == anchored.anchor)
        #expect(try await Self.anchor(scope))
        #expect(try await Self.verify(scope).anchor?.rowCount == grown.rows)
    }

    @Test func aWholeTrailRewriteThatTheChainCannotSeeIsCaughtByTheAnchor() async throws {
        let tenant = try await Self.tenantWithTrail(5)
        let scope = tenant.scope
        #expect(try await Self.anchor(scope))
        let anchored = try #require(try await Self.verify(scope).anchor)

        // The owner (or a superuser) drops one row and re-chains the rest: every link is valid.
        try await TestDatabase.prepared().transaction { session in
            try session.enterTenantAsOwner(scope)
            let rows = try session.query(
                "SELECT at::text, actor_id::text, actor, action, target, outcome, detail, request_id FROM audit_events ORDER BY seq")
            try session.query("TRUNCATE audit_events")
            for row in rows where row[6] != "step 2" {
                try session.query(
                    """
                    INSERT INTO audit_events (at, actor_id, actor, action, target, outcome, detail, request_id)
                    VALUES ($1::timestamptz, $2::uuid, $3, $4, $5, $6, $7, $8)
                    """, row)
            }
            try session.leaveTenant()
        }
        // The chain in the council's schema sees nothing wrong.
        let inSchema = try await TestDatabase.withTenantDatabase { db in
            try await AuditLog.firstBrokenEntry(database: db, scope: scope, logger: Self.logger)
        }
        #expect(inSchema == nil)
        await #expect(
            throws: AuditTrailError.fewerRowsThanAnchored(
                schema: scope.schema, rows: anchored.rowCount - 1, anchored: anchored.rowCount, anchoredAt: anchored.at)
        ) {
            _ = try await Self.verify(scope)
        }

        // Padded back to the anchored length, the rewrite still lacks the anchored head.
        try await TestDatabase.withTenantDatabase { db in
            for _ in 0..<2 {
                try await AuditLog.record(
                    AuditEvent(actorID: nil, actor: "Test", action: "test.padding"), database: db, scope: scope, logger: Self.logger)
            }
        }
        await #expect(
            throws: AuditTrailError.anchoredHeadMissing(schema: scope.schema, seq: anchored.rowCount, anchoredAt: anchored.at)
        ) {
            _ = try await Self.verify(scope)
        }
        // And anchoring refuses to bless it.
        await #expect(
            throws: AuditTrailError.anchoredHeadMissing(schema: scope.schema, seq: anchored.rowCount, anchoredAt: anchored.at)
        ) { _ = try await Self.anchor(scope) }
    }

    @Test func aSingleTamperedRowIsNamedWithWhatIsWrong() async throws {
        let tenant = try await Self.tenantWithTrail(4)
        let scope = tenant.scope
        let total = try await Self.rows(scope)
        let admin = try await TestDatabase.prepared()

        // Edited content.
        try await admin.transaction { session in
            try session.enterTenantAsOwner(scope)
            try session.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try session.query("UPDATE audit_events SET detail = 'nothing to see' WHERE seq = 3")
            try session.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
            try session.leaveTenant()
        }
        await #expect(throws: AuditTrailError.brokenRow(schema: scope.schema, seq: 3, fault: .contentChanged)) {
            _ = try await Self.verify(scope)
        }
        await #expect(throws: AuditTrailError.brokenRow(schema: scope.schema, seq: 3, fault: .contentChanged)) {
            _ = try await Self.anchor(scope)
        }

        // A row whose link was redone, and a row removed from the middle.
        try await admin.transaction { session in
            try session.enterTenantAsOwner(scope)
            try session.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try session.query("UPDATE audit_events SET prev_hash = sha256('forged'::bytea) WHERE seq = 2")
            try session.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
            try session.leaveTenant()
        }
        await #expect(throws: AuditTrailError.brokenRow(schema: scope.schema, seq: 2, fault: .unlinked)) {
            _ = try await Self.verify(scope)
        }
        try await admin.transaction { session in
            try session.enterTenantAsOwner(scope)
            try session.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try session.query("DELETE FROM audit_events WHERE seq IN (1, 2)")
            try session.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
            try session.leaveTenant()
        }
        await #expect(throws: AuditTrailError.brokenRow(schema: scope.schema, seq: 3, fault: .outOfSequence(position: 1))) {
            _ = try await Self.verify(scope)
        }
        #expect(try await Self.rows(scope) == total - 2)
    }

    @Test func onlyTheAdminRoleWritesAnchors() async throws {
        let tenant = try await Self.tenantWithTrail(1)
        #expect(try await Self.anchor(tenant.scope))
        let client = PostgresClient(TestDatabase.config, login: .app, maxConnections: 1, logger: Self.logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            for sql in [
                "INSERT INTO kerb_control.audit_anchors (schema_name, row_count, anchored_by) VALUES ('\(tenant.scope.schema)', 0, 'app')",
                "UPDATE kerb_control.audit_anchors SET row_count = 0 WHERE schema_name = '\(tenant.scope.schema)'",
                "DELETE FROM kerb_control.audit_anchors WHERE schema_name = '\(tenant.scope.schema)'",
            ] {
                let error = await #expect(throws: PSQLError.self, "\(sql)") {
                    _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).collect()
                }
                #expect(error?.serverInfo?[.sqlState] == "42501", "\(sql)")
                #expect(error?.serverInfo?[.message] == "permission denied for table audit_anchors", "\(sql)")
            }
        }
        let rows = try await Self.rows(tenant.scope)
        #expect(try await Self.verify(tenant.scope).anchor?.rowCount == rows)
    }
}
