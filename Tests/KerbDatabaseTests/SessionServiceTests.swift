import Foundation
import Identity
import KerbTestSupport
import Policy
import Testing

@Suite struct SessionServiceTests {
    let helper = TestAccounts()

    @Test func sessionsEndWhenIdleOrTooOldAndOnSignOutEverywhere() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, email) = try await helper.councilWithAdmin(accounts)
            let log = TestAccounts.logger
            let now = Date()
            let userID = try await helper.adminID(accounts, tenant, email, now: now)
            let sessions = SessionService(database: accounts.database)
            // The default policy: idle 30 min, absolute 10 h.

            let token = try await sessions.start(
                tenant.scope, userID: userID, stage: .complete, userAgent: "Firefox", now: now, logger: log)
            #expect(
                try await sessions.authenticate(tenant.scope, token: token, now: now.addingTimeInterval(60), logger: log)?.userID
                    == userID)
            #expect(try await sessions.authenticate(tenant.scope, token: "forged", now: now, logger: log) == nil)
            // Kept alive by use every 20 minutes, it still ends at the absolute limit.
            var t = now
            for _ in 0..<40 {
                t = t.addingTimeInterval(20 * 60)
                guard try await sessions.authenticate(tenant.scope, token: token, now: t, logger: log) != nil else { break }
            }
            let lived: TimeInterval = t.timeIntervalSince(now)
            let absolute: TimeInterval = 36_000
            #expect(lived >= absolute)
            #expect(lived <= absolute + 1_200)

            let idle = try await sessions.start(tenant.scope, userID: userID, stage: .complete, userAgent: nil, now: now, logger: log)
            #expect(
                try await sessions.authenticate(tenant.scope, token: idle, now: now.addingTimeInterval(31 * 60), logger: log)
                    == nil)
            // Once ended, always ended.
            #expect(
                try await sessions.authenticate(tenant.scope, token: idle, now: now.addingTimeInterval(60), logger: log) == nil)

            let a = try await sessions.start(tenant.scope, userID: userID, stage: .complete, userAgent: "A", now: now, logger: log)
            let b = try await sessions.start(tenant.scope, userID: userID, stage: .password, userAgent: "B", now: now, logger: log)
            #expect(try await sessions.open(tenant.scope, userID: userID, logger: log).count == 2)
            try await sessions.endAll(tenant.scope, userID: userID, reason: "sign-out-everywhere", now: now, logger: log)
            #expect(try await sessions.open(tenant.scope, userID: userID, logger: log).isEmpty)
            for token in [a, b] {
                #expect(try await sessions.authenticate(tenant.scope, token: token, now: now, logger: log) == nil)
            }
        }
    }
}
