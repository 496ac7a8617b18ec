import Audit
import Foundation
import KerbCore
import KerbTestSupport
import Logging
import PostgresNIO
import Tenancy
import Testing

@testable import Storage

/// Issue 9, item 7: requests run as a role that owns nothing, so the audit trail they write is
/// beyond their reach. Raw SQL through the same code path the app uses (`TenantDatabase`).
@Suite struct AuditRoleTests {
    static let logger = Logger(label: "test")

    /// A statement a request might try, and how PostgreSQL must refuse it.
    struct Refusal {
        let sql: String
        let sqlState: String
        let message: String
    }

    static func destructive(_ scope: TenantScope) -> [Refusal] {
        [
            Refusal(sql: "TRUNCATE audit_events", sqlState: "42501", message: "permission denied for table audit_events"),
            Refusal(
                sql: "UPDATE audit_events SET detail = 'rewritten'", sqlState: "42501", message: "permission denied for table audit_events"),
            Refusal(sql: "DELETE FROM audit_events", sqlState: "42501", message: "permission denied for table audit_events"),
            Refusal(
                sql: "ALTER TABLE audit_events DISABLE TRIGGER ALL", sqlState: "42501", message: "must be owner of table audit_events"),
            Refusal(
                sql: "DROP TRIGGER audit_events_append_only ON audit_events", sqlState: "42501",
                message: "must be owner of relation audit_events"),
            Refusal(sql: "DROP TABLE audit_events", sqlState: "42501", message: "must be owner of table audit_events"),
            Refusal(
                sql: "CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                sqlState: "42501", message: "permission denied for schema \(scope.schema)"),
            Refusal(
                sql: "ALTER FUNCTION audit_verify() RENAME TO audit_verify_old", sqlState: "42501",
                message: "must be owner of function audit_verify"),
            Refusal(sql: "ALTER TABLE profile ADD COLUMN planted text", sqlState: "42501", message: "must be owner of table profile"),
            Refusal(sql: "CREATE TABLE planted (x int)", sqlState: "42501", message: "permission denied for schema \(scope.schema)"),
            Refusal(sql: "SET ROLE \(scope.ownerRole)", sqlState: "42501", message: "permission denied to set role \"\(scope.ownerRole)\""),
            Refusal(
                sql: "SELECT set_config('role', '\(scope.ownerRole)', true)", sqlState: "42501",
                message: "permission denied to set role \"\(scope.ownerRole)\""),
            Refusal(
                sql: "SET session_replication_role = replica", sqlState: "42501",
                message: "permission denied to set parameter \"session_replication_role\""),
            Refusal(
                sql:
                    "INSERT INTO kerb_control.audit_anchors (schema_name, row_count, anchored_by) VALUES ('\(scope.schema)', 0, 'request')",
                sqlState: "42501", message: "permission denied for schema kerb_control"),
        ]
    }

    @Test func aRequestCannotTruncateRewriteDropOrUnhookTheAuditTrail() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withTenantDatabase { db in
            try await AuditLog.record(
                AuditEvent(actorID: nil, actor: "Test", action: "test.before"), database: db, scope: tenant.scope, logger: Self.logger)
            for refusal in Self.destructive(tenant.scope) {
                let error = await #expect(throws: PSQLError.self, "\(refusal.sql)") {
                    try await db.transaction(tenant.scope, logger: Self.logger) { conn in
                        _ = try await conn.query(PostgresQuery(unsafeSQL: refusal.sql), logger: Self.logger).collect()
                    }
                }
                #expect(error?.serverInfo?[.sqlState] == refusal.sqlState, "\(refusal.sql)")
                #expect(error?.serverInfo?[.message] == refusal.message, "\(refusal.sql)")
            }
            // The trail still takes rows the normal way, and is whole.
            try await AuditLog.record(
                AuditEvent(actorID: nil, actor: "Test", action: "test.after"), database: db, scope: tenant.scope, logger: Self.logger)
            let recent = try await AuditLog.recent(database: db, scope: tenant.scope, logger: Self.logger)
            #expect(recent.prefix(2).map(\.event.action) == ["test.after", "test.before"])
            #expect(try await AuditLog.firstBrokenEntry(database: db, scope: tenant.scope, logger: Self.logger) == nil)
        }
        let columns = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'profile' AND column_name = 'planted'",
            [tenant.scope.schema])
        #expect(columns[0][0] == "0")
    }

    @Test func theRequestRoleOwnsNothingAndHoldsOnlyInsertAndSelectOnTheTrail() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        for scope in [tenant.scope, TenantScope.supplierOps] {
            let owned = try await TestDatabase.adminQuery(
                """
                SELECT (SELECT count(*) FROM pg_class WHERE relowner = $1::regrole)
                     + (SELECT count(*) FROM pg_proc WHERE proowner = $1::regrole)
                     + (SELECT count(*) FROM pg_namespace WHERE nspowner = $1::regrole)
                """, [scope.requestRole])
            #expect(owned[0][0] == "0", "\(scope.requestRole) owns something")
            let trail = try await TestDatabase.adminQuery(
                """
                SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
                WHERE has_table_privilege($1, (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                               WHERE n.nspname = $2 AND c.relname = 'audit_events'), p)
                """, [scope.requestRole, scope.schema])
            #expect(trail[0][0] == "INSERT,SELECT")
            let users = try await TestDatabase.adminQuery(
                """
                SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
                WHERE has_table_privilege($1, (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                               WHERE n.nspname = $2 AND c.relname = 'users'), p)
                """, [scope.requestRole, scope.schema])
            #expect(users[0][0] == "DELETE,INSERT,SELECT,UPDATE")
            // The web process may switch into the request role only.
            let app = try await TestDatabase.adminQuery(
                """
                SELECT string_agg(r.rolname, ',' ORDER BY r.rolname) FROM pg_auth_members m
                JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles a ON a.oid = m.member
                WHERE a.rolname = $1 AND r.rolname IN ($2, $3)
                """, [TestDatabase.config.appUser, scope.ownerRole, scope.requestRole])
            #expect(app[0][0] == scope.requestRole)
        }
    }

    @Test func kerbMigrateSplitsATenantMadeBeforeTheSplitAndThenHasNothingToDo() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let scope = tenant.scope
        let admin = try await TestDatabase.prepared()
        // Back to how tenants were made before: no request role, the web process in the owner.
        try await admin.transaction { session in
            let schema = quoteIdentifier(scope.schema)
            let request = quoteIdentifier(scope.requestRole)
            try session.enterTenantAsOwner(scope)
            try session.connection.execute(
                script: """
                    REVOKE ALL ON SCHEMA \(schema) FROM \(request);
                    REVOKE ALL ON ALL TABLES IN SCHEMA \(schema) FROM \(request);
                    REVOKE ALL ON ALL SEQUENCES IN SCHEMA \(schema) FROM \(request);
                    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA \(schema) FROM \(request);
                    ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) REVOKE ALL ON TABLES FROM \(request);
                    ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) REVOKE ALL ON SEQUENCES FROM \(request);
                    ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) REVOKE ALL ON FUNCTIONS FROM \(request);
                    """)
            try session.leaveTenant()
            try session.connection.execute(
                script: """
                    DROP ROLE \(request);
                    GRANT \(quoteIdentifier(scope.ownerRole)) TO \(quoteIdentifier(TestDatabase.config.appUser));
                    """)
        }
        let migrator = try Migrator(database: admin)
        let outcomes = try await migrator.migrateTenants([scope], parallelism: 1)
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.rolesSplit == true && outcomes.first?.applied == [] && outcomes.first?.error == nil)

        try await TestDatabase.withTenantDatabase { db in
            let user = try await db.transaction(scope, logger: Self.logger) { conn in
                try await conn.query("SELECT current_user FROM profile", logger: Self.logger).decode(String.self).all()
            }
            #expect(user == [scope.requestRole])
            try await AuditLog.record(
                AuditEvent(actorID: nil, actor: "Test", action: "test.split"), database: db, scope: scope, logger: Self.logger)
            let error = await #expect(throws: PSQLError.self) {
                try await db.transaction(scope, logger: Self.logger) { conn in
                    _ = try await conn.query(PostgresQuery(unsafeSQL: "SET ROLE \(scope.ownerRole)"), logger: Self.logger).collect()
                }
            }
            #expect(error?.serverInfo?[.sqlState] == "42501")
            let truncate = await #expect(throws: PSQLError.self) {
                try await db.transaction(scope, logger: Self.logger) { conn in
                    _ = try await conn.query("TRUNCATE audit_events", logger: Self.logger).collect()
                }
            }
            #expect(truncate?.serverInfo?[.sqlState] == "42501")
        }
        // Nothing left to do: the no-op run touches nobody.
        #expect(try await migrator.migrateTenants([scope], parallelism: 1).isEmpty)
    }

    @Test func aNewTableFromALaterMigrationIsGrantedToTheRequestRole() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let probe = Migration(
            target: .tenant, version: "9002_add_probe_\(TestDatabase.uniqueToken())",
            sql: "CREATE TABLE later_probe (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL);")
        let admin = try await TestDatabase.prepared()
        let migrator = Migrator(database: admin, control: [], tenant: try Migration.bundled(.tenant) + [probe])
        let outcomes = try await migrator.migrateTenants([tenant.scope], parallelism: 1)
        #expect(outcomes.first?.applied == [probe.version] && outcomes.first?.rolesSplit == false)
        try await TestDatabase.withTenantDatabase { db in
            let ids = try await db.transaction(tenant.scope, logger: Self.logger) { conn in
                try await conn.query("INSERT INTO later_probe (note) VALUES ('x') RETURNING id", logger: Self.logger).decode(Int64.self)
                    .all()
            }
            #expect(ids == [1])
            let error = await #expect(throws: PSQLError.self) {
                try await db.transaction(tenant.scope, logger: Self.logger) { conn in
                    _ = try await conn.query("TRUNCATE later_probe", logger: Self.logger).collect()
                }
            }
            #expect(error?.serverInfo?[.message] == "permission denied for table later_probe")
        }
    }

    @Test func droppingATenantRemovesItsSchemaAndBothRoles() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let scope = tenant.scope
        try await TestDatabase.prepared().transaction { session in
            try session.dropTenantRoleAndSchema(scope)
            // As offboarding will: the tenant stays listed as offboarded, so nothing reaches for its schema.
            try session.query("UPDATE kerb_control.tenants SET status = 'offboarded' WHERE slug = $1", [tenant.slug.rawValue])
        }
        let left = try await TestDatabase.adminQuery(
            """
            SELECT (SELECT count(*) FROM pg_roles WHERE rolname IN ($1, $2)) + (SELECT count(*) FROM pg_namespace WHERE nspname = $3)
            """, [scope.ownerRole, scope.requestRole, scope.schema])
        #expect(left[0][0] == "0")
    }

    @Test func theReadPipelineRunsAsTheRequestRole() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let pipeline = TenantReadPipeline(
            config: TestDatabase.config, workers: 1, statements: ["SELECT current_user, count(*)::text FROM audit_events"])
        try pipeline.start()
        defer { pipeline.shutdown() }
        let rows = try await pipeline.fetch(pipeline.statement(0), in: tenant.scope)
        #expect(rows.first?.first == tenant.scope.requestRole)
    }
}
