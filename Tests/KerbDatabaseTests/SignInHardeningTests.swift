import Audit
import Communications
import Foundation
import Identity
import KerbTestSupport
import Logging
import Storage
import Tenancy
import Testing

/// Issue 9, items 3, 4, 5, 8 and 14 at the service level, against the real database.
@Suite struct SignInHardeningTests {
    let helper = TestAccounts()
    static let log = TestAccounts.logger
    static let password = TestAccounts.password

    static func outcomes(_ tenant: Tenant) async throws -> [String] {
        try await TestDatabase.admin.transaction { session in
            try session.enterTenant(tenant.scope)
            return try session.query("SELECT outcome FROM sign_in_attempts ORDER BY id").map { $0[0] ?? "" }
        }
    }

    /// Item 4: the attempt is claimed atomically before the hash check, so a burst of 200
    /// concurrent wrong passwords gets at most the threshold's number of checks (here one).
    @Test func concurrentWrongPasswordsGetAtMostTheThresholdOfChecks() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, email) = try await helper.councilWithAdmin(accounts)
            let now = Date()
            let errors = try await withThrowingTaskGroup(of: IdentityError?.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        do {
                            _ = try await accounts.signIn(
                                tenant.scope, email: email, password: "wrong-password-here", now: now, logger: Self.log)
                            return nil
                        } catch let error as IdentityError { return error }
                    }
                }
                var errors: [IdentityError?] = []
                for try await error in group { errors.append(error) }
                return errors
            }
            #expect(errors.allSatisfy { $0 != nil }, "no wrong password may sign in")
            let checked = try await Self.outcomes(tenant).filter { $0 == "password-wrong" }.count
            #expect(checked >= 1 && checked <= 5, "\(checked) password checks for 200 concurrent attempts")
            #expect(errors.filter { $0 == .invalidCredentials }.count == checked)
        }
    }

    /// Item 5: an address with no account answers exactly like one with an account, through
    /// the wait and the lock.
    @Test func unknownAndKnownEmailsAnswerAlikeThroughWaitsAndLocks() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, known) = try await helper.councilWithAdmin(accounts)
            let unknown = "nobody-\(TestDatabase.uniqueToken())@example.org"
            func answers(_ email: String) async throws -> [String] {
                let start = Date()
                var seen: [String] = []
                // Attempts at 0 s, 0 s (too soon), 1 s, 3 s, 7 s, 15 s (the fifth failure locks), 20 s.
                for offset in [0.0, 0.0, 1, 3, 7, 15, 20] {
                    do {
                        _ = try await accounts.signIn(
                            tenant.scope, email: email, password: "wrong-password-here", now: start.addingTimeInterval(offset),
                            logger: Self.log)
                        seen.append("signed in")
                    } catch let error as IdentityError {
                        seen.append("\(error.code): \(error.publicDetail)")
                    }
                }
                return seen
            }
            let forKnown = try await answers(known)
            let forUnknown = try await answers(unknown)
            #expect(forKnown == forUnknown)
            #expect(forKnown.first?.hasPrefix("identity.invalid-credentials") == true)
            #expect(forKnown[1].hasPrefix("identity.too-soon"))
            #expect(forKnown.last?.hasPrefix("identity.locked") == true)
            // The unknown address has a throttle row like any other, holding only its SHA-256.
            let stored = try await TestDatabase.admin.transaction { session in
                try session.enterTenant(tenant.scope)
                return try session.query(
                    "SELECT count(*) FROM sign_in_throttle WHERE email_hash = sha256(convert_to(lower($1), 'UTF8'))", [unknown])
            }
            #expect(stored.first?.first == "1")
        }
    }

    /// Item 8: disabling revokes unused set-up links, and no link reactivates a disabled account.
    @Test func disablingRevokesSetUpLinksAndALinkCannotReactivate() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, _) = try await helper.councilWithAdmin(accounts)
            let directory = UserDirectory(database: accounts.database, outbox: try Outbox.bundled())
            let actor = AuditEvent(actorID: nil, actor: "Test Admin", action: "")
            let (userID, token) = try await directory.invite(
                tenant.scope, fullName: "Robin Okafor", email: "robin.okafor@\(TestDatabase.uniqueToken()).example", groupIDs: [],
                needsApproval: false, by: actor, now: Date(), link: { "https://kerb.example/setup?token=\($0.token)" }, logger: Self.log)
            try await directory.disable(tenant.scope, userID: userID, by: actor, now: Date(), logger: Self.log)
            await #expect(throws: IdentityError.invalidSetupToken) {
                _ = try await accounts.completeSetup(
                    tenant.scope, token: token.token, password: Self.password, now: Date(), logger: Self.log)
            }
            // Even a live link (as a restore or a bug might leave) cannot bring the account back.
            let reissued = SetupToken.generate()
            try await accounts.database.transaction(tenant.scope, logger: Self.log) { conn in
                try await conn.query(
                    """
                    INSERT INTO setup_tokens (user_id, token_hash, expires_at)
                    VALUES (\(userID), \(Data(reissued.hash)), now() + interval '1 day')
                    """, logger: Self.log)
            }
            await #expect(throws: IdentityError.invalidSetupToken) {
                _ = try await accounts.completeSetup(
                    tenant.scope, token: reissued.token, password: Self.password, now: Date(), logger: Self.log)
            }
            #expect(try await directory.account(tenant.scope, id: userID, logger: Self.log).status == "disabled")
        }
    }

    /// Item 3: the secret being enrolled is generated and held by the server; a code for any
    /// other secret does not enrol, and wrong enrolment codes count like other wrong codes.
    @Test func onlyTheServerGeneratedSecretCanBeEnrolled() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, email) = try await helper.councilWithAdmin(accounts)
            let now = Date()
            let userID = try await helper.adminID(accounts, tenant, email, now: now)
            // Nothing pending: no code enrols anything.
            #expect(try await !accounts.confirmTOTPEnrolment(tenant.scope, userID: userID, code: "123456", now: now, logger: Self.log))
            let chosen = TOTP.newSecret()
            let later = now.addingTimeInterval(2)
            let secret = try await accounts.beginTOTPEnrolment(tenant.scope, userID: userID, now: later, logger: Self.log)
            #expect(secret != chosen && secret.count >= 20)
            let theirs = try #require(TOTP.code(secret: chosen, at: later))
            let ours = try #require(TOTP.code(secret: secret, at: later))
            if theirs != ours {
                #expect(try await !accounts.confirmTOTPEnrolment(tenant.scope, userID: userID, code: theirs, now: later, logger: Self.log))
            }
            let afterWait = later.addingTimeInterval(5)
            #expect(
                try await accounts.confirmTOTPEnrolment(
                    tenant.scope, userID: userID, code: try #require(TOTP.code(secret: secret, at: afterWait)), now: afterWait,
                    logger: Self.log))
            #expect(try await accounts.pendingTOTPSecret(tenant.scope, userID: userID, now: afterWait, logger: Self.log) == nil)
        }
    }

    /// Item 14: a password change ends the person's other sessions, and a wrong current
    /// password counts towards the lockout.
    @Test func aPasswordChangeEndsOtherSessionsAndWrongCurrentPasswordsCount() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, email) = try await helper.councilWithAdmin(accounts)
            let now = Date()
            let userID = try await helper.adminID(accounts, tenant, email, now: now)
            let sessions = SessionService(database: accounts.database)
            let here = try await sessions.start(tenant.scope, userID: userID, stage: .complete, userAgent: nil, now: now, logger: Self.log)
            let elsewhere = try await sessions.start(
                tenant.scope, userID: userID, stage: .complete, userAgent: nil, now: now, logger: Self.log)
            let current = try #require(try await sessions.authenticate(tenant.scope, token: here, now: now, logger: Self.log))
            // Five wrong current passwords, each after its wait, lock the account.
            var at = now.addingTimeInterval(1)
            for wait in [1.0, 2, 4, 8, 16] {
                await #expect(throws: IdentityError.invalidCredentials) {
                    try await accounts.changePassword(
                        tenant.scope, userID: userID, current: "not-my-password", new: "quartz-meadow-lantern",
                        keepingSession: current.sessionID,
                        now: at, logger: Self.log)
                }
                at = at.addingTimeInterval(wait)
            }
            await #expect(throws: IdentityError.locked) {
                _ = try await accounts.signIn(tenant.scope, email: email, password: Self.password, now: at, logger: Self.log)
            }
            let unlocked = at.addingTimeInterval(16 * 60)
            try await accounts.changePassword(
                tenant.scope, userID: userID, current: Self.password, new: "quartz-meadow-lantern", keepingSession: current.sessionID,
                now: unlocked, logger: Self.log)
            #expect(try await sessions.authenticate(tenant.scope, token: here, now: unlocked, logger: Self.log) != nil)
            #expect(try await sessions.authenticate(tenant.scope, token: elsewhere, now: unlocked, logger: Self.log) == nil)
        }
    }
}
