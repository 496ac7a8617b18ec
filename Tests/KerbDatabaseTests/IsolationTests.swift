import Foundation
import KerbCore
import KerbTestSupport
import Logging
import PostgresNIO
@testable import Storage
import Tenancy
import Testing

@testable import Storage

/// The isolation PostgreSQL enforces: raw SQL through the same code path the app uses.
@Suite struct IsolationTests {
    static let logger = Logger(label: "test")

    @Test func aTenantTransactionCannotReadOrWriteAnotherTenantEvenByQualifiedName() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        let b = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withTenantDatabase { db in
            // Its own tables, unqualified, as its own role.
            let own = try await db.transaction(a.scope, logger: Self.logger) { conn in
                let rows = try await conn.query("SELECT current_user, authority FROM profile", logger: Self.logger)
                return try await rows.decode((String, String).self).all()
            }
            #expect(own.count == 1 && own[0].0 == a.scope.requestRole && own[0].1 == a.authoritySlug)

            // Another council's tables by qualified name, the control plane, and DDL elsewhere:
            // all refused by PostgreSQL inside A's transaction.
            for sql in [
                "SELECT authority FROM \(b.scope.schema).profile",
                "UPDATE \(b.scope.schema).profile SET display_name = 'pwned'",
                "SELECT slug FROM kerb_control.tenants",
                "CREATE TABLE \(b.scope.schema).planted (x int)",
            ] {
                await expectSQLState("42501", "\(sql)") {  // insufficient_privilege
                    try await db.transaction(a.scope, logger: Self.logger) { conn in
                        _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).collect()
                    }
                }
            }
        }
        let untouched = try await TestDatabase.admin.transaction { session in
            try session.enterTenant(b.scope)
            return try session.query("SELECT display_name FROM profile")
        }
        #expect(untouched[0][0] == b.displayName)
    }

    @Test func theLoginRoleAloneReachesNoTenantAndTheRoleEndsWithTheTransaction() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        try await TestDatabase.withTenantDatabase { db in
            await expectSQLState("42501") {  // insufficient_privilege
                _ = try await db.client.query(PostgresQuery(unsafeSQL: "SELECT * FROM \(a.scope.schema).profile"), logger: Self.logger)
                    .collect()
            }
            _ = try await db.transaction(a.scope, logger: Self.logger) { conn in
                try await conn.query("SELECT 1", logger: Self.logger).collect()
            }
            // SET LOCAL: the pooled connection is back to the login role afterwards.
            let rows = try await db.client.query("SELECT current_user, current_setting('search_path')", logger: Self.logger)
            let user = try await rows.decode((String, String).self).all()
            #expect(user.first?.0 == TestDatabase.config.appUser)
            #expect(user.first?.1.contains(a.scope.schema) == false)
        }
    }

    @Test func aFailedTransactionChangesNothing() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        struct Boom: Error {}
        try await TestDatabase.withTenantDatabase { db in
            await #expect(throws: Boom.self) {
                try await db.transaction(a.scope, logger: Self.logger) { conn in
                    _ = try await conn.query("UPDATE profile SET display_name = 'changed'", logger: Self.logger).collect()
                    throw Boom()
                }
            }
            let name = try await db.transaction(a.scope, logger: Self.logger) { conn in
                let rows = try await conn.query("SELECT display_name FROM profile", logger: Self.logger)
                return try await rows.decode(String.self).all()
            }
            #expect(name == [a.displayName])
        }
    }

    @Test func thePipelinedReadIsConfinedTheSameWay() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        let b = try await TestDatabase.onboardTestTenant().tenant
        let pipeline = TenantReadPipeline(
            config: TestDatabase.config, workers: 2,
            statements: [
                "SELECT current_user, authority FROM profile",
                "SELECT count(*) FROM kerb_control.tenants",
                "SELECT authority FROM profile WHERE authority = $1",
            ])
        try pipeline.start()
        defer { pipeline.shutdown() }
        // Interleave tenants on the same connections: each read sees only its own tenant.
        try await withThrowingTaskGroup(of: (Tenant, [[String?]]).self) { group in
            for i in 0..<40 {
                let tenant = i % 2 == 0 ? a : b
                group.addTask { (tenant, try await pipeline.fetch(pipeline.statement(0), in: tenant.scope)) }
            }
            for try await (tenant, rows) in group {
                #expect(rows == [[tenant.scope.requestRole, tenant.authoritySlug]])
            }
        }
        // The control plane is out of reach of a tenant role, and the failure leaves the
        // connection usable.
        await #expect(throws: StorageError.self) { _ = try await pipeline.fetch(pipeline.statement(1), in: a.scope) }
        #expect(try await pipeline.fetch(pipeline.statement(2), in: a.scope, [a.authoritySlug]) == [[a.authoritySlug]])
        #expect(try await pipeline.fetch(pipeline.statement(2), in: a.scope, [b.authoritySlug]) == [])
        // A scope whose role the login role may not assume is refused by PostgreSQL.
        let stranger = TenantScope(Slug("never-onboarded-\(TestDatabase.uniqueToken())")!)
        await #expect(throws: StorageError.self) { _ = try await pipeline.fetch(pipeline.statement(0), in: stranger) }
    }
}

@Suite struct IdentifierTests {
    @Test func identifiersAreQuotedWithInnerQuotesDoubled() {
        #expect(quoteIdentifier("t_torbay") == "\"t_torbay\"")
        #expect(quoteIdentifier("x\"; DROP SCHEMA kerb_control CASCADE; --") == "\"x\"\"; DROP SCHEMA kerb_control CASCADE; --\"")
    }

    @Test func scopesCanOnlyComeFromValidSlugs() {
        // The only way to a TenantScope is a Slug, and a Slug refuses anything but [a-z0-9-].
        for hostile in ["x\"; DROP ROLE kerb_app; --", "kerb_control", "T_TORBAY", "a b", "pg_catalog", "x'y"] {
            #expect(Slug(hostile) == nil)
        }
        let scope = TenantScope(Slug("a-b")!)
        #expect(scope.schema == "t_a_b" && scope.ownerRole == "kerb_t_a_b" && scope.requestRole == "kerb_r_a_b")
    }
}
