import Audit
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import KerbCore
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Tenancy
import Testing

@testable import Web

/// Issue 10, item 9: what one request costs PostgreSQL. Each request is counted with the
/// task-local `DatabaseWork` tally (every tenant transaction, PostgresNIO or pipelined, passes
/// through it), so a change that adds a transaction to an authenticated read fails here; and the
/// faster identity paths keep what the slow ones held: the role switch in every transaction,
/// sign-out, revocation and policy changes seen by the very next request.
@Suite struct RoundTripTests {
    static let logger = Logger(label: "test")

    struct World {
        let client: any TestClientProtocol
        let deps: WebDependencies
        let tenant: Tenant
        let key: String
        let session: String
        let reference: String

        func get(_ path: String, key: String? = nil, session: String? = nil) async throws -> (HTTPResponse.Status, DatabaseWork.Tally) {
            var headers: HTTPFields = [:]
            if let key { headers[.authorization] = "Bearer \(key)" }
            if let session { headers[.cookie] = "kerb_session=\(session)" }
            let client = client
            let (status, tally) = try await DatabaseWork.counting {
                try await client.execute(uri: "/t/\(tenant.slug)\(path)", method: .get, headers: headers, body: nil).status
            }
            return (status, tally)
        }
    }

    /// A council with an officer (signed in, in Case officers) and an API key, and one application.
    func withWorld(_ test: @escaping @Sendable (World) async throws -> Void) async throws {
        _ = try await TestDatabase.prepared()
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let deps = try await WebDependencies.live(
            TestDatabase.config, vault: TestDatabase.vault, readWorkers: 1, metrics: nil, passwordParameters: TestDatabase.fastHashing,
            logger: Self.logger)
        let app = try await buildApplication(WebConfig(), deps, logger: Self.logger)
        try await app.test(.router) { client in
            let log = Self.logger
            let groups = try await deps.identity.groups.groups(tenant.scope, logger: log).filter { $0.name == "Case officers" }.map(\.id)
            let email = "casey.rounds@\(tenant.authoritySlug.dropFirst(5)).test.kerb.example"
            let (userID, _) = try await deps.identity.users.invite(
                tenant.scope, fullName: "Casey Rounds", email: email, groupIDs: groups, needsApproval: false,
                by: AuditEvent(actorID: nil, actor: "test", action: ""), now: Date(),
                link: { "https://kerb.example/setup?token=\($0.token)" }, logger: log)
            // As if they had set their password (an invited account's counts as expired).
            try await TestDatabase.prepared().transaction { admin in
                try admin.enterTenant(tenant.scope)
                try admin.query(
                    "UPDATE users SET status = 'active', password_changed_at = now() WHERE id = $1::uuid", [userID.uuidString])
                try admin.leaveTenant()
            }
            let session = try await deps.identity.sessions.start(
                tenant.scope, userID: userID, stage: .complete, userAgent: "test", now: Date(), logger: log)
            let key = try await APIKeyService(database: deps.identity.database).create(
                tenant.scope, name: "Round trips", permissions: [.viewCase, .editCase],
                by: AuditEvent(actorID: userID, actor: "Casey Rounds", action: ""), now: Date(), logger: log
            ).key
            let created = try await client.execute(
                uri: "/t/\(tenant.slug)/api/v1/applications", method: .post,
                headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                body: ByteBuffer(
                    string:
                        #"{"applicant":{"fullName":"Rhea Trips","dateOfBirth":"1950-02-03","addressLine1":"1 Road","town":"Oakham","postcode":"LE15 6AB"},"kind":"NEW","channel":"ONLINE","eligibility":"PIP"}"#
                ))
            #expect(created.status == .created)
            let body = try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any]
            let reference = try #require(body?["reference"] as? String)
            try await test(World(client: client, deps: deps, tenant: tenant, key: key, session: session, reference: reference))
        }
    }

    @Test func anAuthenticatedReadStaysWithinItsTransactionBudget() async throws {
        try await withWorld { world in
            // The first request of a process for a council reads and caches its policy.
            #expect(try await world.get("/api/v1/applications/\(world.reference)", key: world.key).0 == .ok)
            #expect(try await world.get("/cases/\(world.reference)", session: world.session).0 == .ok)

            // The key check is one transaction; the casework read (the access decision on the case
            // row and the whole file, in one statement) the other. Both are pipelined reads: the
            // role switch and a prepared statement behind one Sync, one round trip each.
            let (found, read) = try await world.get("/api/v1/applications/\(world.reference)", key: world.key)
            #expect(found == .ok)
            #expect(
                read.transactions == 2 && read.pipelined == 2, "API read ran \(read.transactions) transactions, \(read.pipelined) pipelined"
            )
            let (missing, miss) = try await world.get("/api/v1/applications/BB-2099-999999", key: world.key)
            #expect(missing == .notFound)
            #expect(miss.transactions == 2 && miss.pipelined == 2, "missing application ran \(miss.transactions) transactions")
            let (refused, none) = try await world.get("/api/v1/applications/\(world.reference)", key: "kerb_made_up_key")
            #expect(refused == .unauthorized && none.transactions == 1)

            // The signed-in case page: the session check is one transaction.
            let (page, pageWork) = try await world.get("/cases/\(world.reference)", session: world.session)
            #expect(page == .ok)
            let (_, sessionOnly) = try await world.get("/cases/\(world.reference)", session: "not-a-session")
            #expect(sessionOnly.transactions == 1)
            // The session check and the case file are pipelined; the page takes the policy the
            // session check read, and still reads the badge plan and colleagues in two more.
            #expect(pageWork.pipelined == 2, "case page ran \(pageWork.pipelined) pipelined reads")
            #expect(pageWork.transactions <= 4, "case page ran \(pageWork.transactions) transactions")
        }
    }

    @Test func revocationSignOutAndPolicyChangesReachTheVeryNextRequest() async throws {
        try await withWorld { world in
            let log = Self.logger
            let scope = world.tenant.scope
            let sessions = world.deps.identity.sessions
            let user = try #require(try await sessions.authenticate(scope, token: world.session, now: Date(), logger: log))
            let idle = user.security.sessionIdleMinutes

            // A policy change is seen at once, though the policy is cached per process.
            var document = try await world.deps.identity.policies.current(scope, logger: log).document
            document.security.sessionIdleMinutes = idle == 20 ? 25 : 20
            try await world.deps.identity.policies.change(
                scope, to: document, reason: "Shorter idle limit", actor: AuditEvent(actorID: nil, actor: "test", action: ""),
                logger: log)
            let after = try #require(try await sessions.authenticate(scope, token: world.session, now: Date(), logger: log))
            #expect(after.security.sessionIdleMinutes == document.security.sessionIdleMinutes)
            #expect(
                try await APIKeyService(database: world.deps.identity.database).authenticate(
                    scope, key: world.key, now: Date(), logger: log)?.security.sessionIdleMinutes == document.security.sessionIdleMinutes)
            // ... and the new limits apply to the same request: idle past the new limit ends it.
            let late = Date().addingTimeInterval(Double(document.security.sessionIdleMinutes + 1) * 60)
            #expect(try await sessions.authenticate(scope, token: world.session, now: late, logger: log) == nil)
            #expect(try await world.get("/cases/\(world.reference)", session: world.session).0 != .ok)
            let ended = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(scope)
                defer { try? session.leaveTenant() }
                return try session.query("SELECT ended_reason FROM sessions WHERE user_id = $1::uuid", [user.userID.uuidString])
            }
            #expect(ended.first?.first == "idle-timeout")

            // Revoking a key refuses its next request.
            #expect(try await world.get("/api/v1/applications/\(world.reference)", key: world.key).0 == .ok)
            let keys = APIKeyService(database: world.deps.identity.database)
            let id = try #require(try await keys.list(scope, logger: log).first?.id)
            try await keys.revoke(scope, id: id, by: AuditEvent(actorID: nil, actor: "test", action: ""), now: Date(), logger: log)
            #expect(try await world.get("/api/v1/applications/\(world.reference)", key: world.key).0 == .unauthorized)
        }
    }

    @Test func theOneStatementPathIsConfinedLikeEveryTransaction() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        let b = try await TestDatabase.onboardTestTenant().tenant
        let client = PostgresClient(TestDatabase.config, login: .app, maxConnections: 2, logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let db = TenantDatabase(client: client)
            let own = try await db.statement(a.scope, "SELECT current_user, authority FROM profile", logger: Self.logger)
            let who = try #require(own.first).decode((String, String).self)
            #expect(who.0 == a.scope.requestRole && who.1 == a.authoritySlug)
            for sql in ["SELECT authority FROM \(b.scope.schema).profile", "UPDATE \(b.scope.schema).profile SET display_name = 'pwned'"] {
                await #expect {
                    _ = try await db.statement(a.scope, PostgresQuery(unsafeSQL: sql), logger: Self.logger)
                } throws: { (($0 as? PSQLError)?.serverInfo?[.sqlState]) == "42501" }
            }
            // Back in the pool as the login role, outside any transaction.
            let rows = try await client.query("SELECT current_user, current_setting('search_path')", logger: Self.logger)
            let back = try await rows.decode((String, String).self).all()
            #expect(back.first?.0 == TestDatabase.config.appUser && back.first?.1.contains(a.scope.schema) == false)
            // And a transaction's queued BEGIN and role switch hold too.
            let inside = try await db.transaction(a.scope, logger: Self.logger) { conn in
                try await conn.query("SELECT current_user, current_setting('search_path')", logger: Self.logger)
                    .decode((String, String).self).all()
            }
            #expect(inside.first?.0 == a.scope.requestRole && inside.first?.1 == a.scope.schema)

            // A switch PostgreSQL refuses (no such council role) fails the transaction before the
            // body's statements can run anywhere, and leaves the pooled connections usable.
            let nowhere = TenantScope(try #require(Slug("no-such-council-\(Int.random(in: 1000...9999))")))
            await #expect(throws: (any Error).self) {
                try await db.transaction(nowhere, logger: Self.logger) { conn in
                    try await conn.query("SELECT current_user", logger: Self.logger).collect()
                }
            }
            await #expect(throws: (any Error).self) {
                _ = try await db.statement(nowhere, "SELECT current_user", logger: Self.logger)
            }
            for _ in 0..<3 {
                let again = try await db.statement(a.scope, "SELECT current_user", logger: Self.logger)
                #expect(try again.first?.decode(String.self) == a.scope.requestRole)
            }
        }
    }
}
