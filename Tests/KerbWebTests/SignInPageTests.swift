import Audit
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Tenancy
import Testing
import Web

/// The identity pages end to end, through the router, against the real database: set-up,
/// sign-in, 2FA enrolment and codes, sessions, CSRF, expiry, and cross-council cookies.
@Suite struct SignInPageTests {
    static let logger = Logger(label: "test")
    static let password = TestCouncil.password

    @Test func aNewAdminSetsUpSignsInWithTwoFactorAndSignsOut() async throws {
        let onboarded = try await TestDatabase.onboardTestTenant()
        let email = "alex.morgan@\(onboarded.tenant.authoritySlug.dropFirst(5)).test.kerb.example"
        try await withApp { client, deps in
            let browser = Browser(client, tenant: onboarded.tenant)
            // Signed out, protected pages send you to sign in.
            #expect(try await browser.get("/admin/users").location?.hasSuffix("/sign-in") == true)
            try await browser.get("/sign-in")
            let beforeSignIn = await browser.cookies["kerb_session"]
            #expect(beforeSignIn == nil)
            _ = try await setUpAndSignIn(browser, token: onboarded.adminSetupToken, email: email)
            let session = try #require(await browser.cookies["kerb_session"])

            let home = try await browser.get("/")
            #expect(home.status == .ok)
            #expect(home.html.contains("Hello, Alex Morgan") && home.html.contains("Administrators"))
            #expect(home.html.contains("href=\"/t/\(onboarded.tenant.slug)/admin/users\""))
            let account = try await browser.get("/account")
            #expect(account.html.contains("This device") && account.html.contains("Firefox on Linux"))
            #expect(try await browser.get("/admin/users").html.contains(email))

            // A link used once is dead.
            let again = try await browser.post(
                "/setup", [("token", onboarded.adminSetupToken), ("password", Self.password), ("confirm", Self.password)])
            #expect(again.status == .notFound)

            let out = try await browser.post("/sign-out")
            #expect(out.status == .seeOther)
            #expect(await browser.cookies["kerb_session"] == nil)
            // The old token is dead server-side too, not just forgotten by the browser.
            await browser.setCookie("kerb_session", session)
            #expect(try await browser.get("/account").location?.hasSuffix("/sign-in") == true)
            let ended = try await deps.identity.sessions.authenticate(
                onboarded.tenant.scope, token: session, now: Date(), logger: Self.logger)
            #expect(ended == nil)
        }
    }

    @Test func formsWithoutTheRightCSRFTokenAreRefusedAndChangeNothing() async throws {
        let onboarded = try await TestDatabase.onboardTestTenant()
        try await withApp { client, _ in
            let browser = Browser(client, tenant: onboarded.tenant)
            try await browser.get("/sign-in")
            for token in ["", "forged-token"] {
                let page = try await browser.post(
                    "/setup", [("token", onboarded.adminSetupToken), ("password", Self.password), ("confirm", Self.password)], csrf: token)
                #expect(page.status == .forbidden)
                #expect(page.html.contains("This form has expired"))
            }
            // The refused posts did not use up the set-up link.
            let ok = try await browser.post(
                "/setup", [("token", onboarded.adminSetupToken), ("password", Self.password), ("confirm", Self.password)])
            #expect(ok.status == .ok)
        }
    }

    @Test func wrongAndReplayedCodesAreRefusedAndTheSessionRotatesAtEachStep() async throws {
        let onboarded = try await TestDatabase.onboardTestTenant()
        let email = "alex.morgan@\(onboarded.tenant.authoritySlug.dropFirst(5)).test.kerb.example"
        try await withApp { client, _ in
            let browser = Browser(client, tenant: onboarded.tenant)
            let enrolledAt = Date()
            let secret = try await setUpAndSignIn(browser, token: onboarded.adminSetupToken, email: email, now: enrolledAt)
            try await browser.post("/sign-out")
            try await browser.get("/sign-in")
            let signIn = try await browser.post("/sign-in", [("email", email), ("password", Self.password)])
            #expect(signIn.location?.hasSuffix("/sign-in/code") == true)
            let partial = try #require(await browser.cookies["kerb_session"])
            // Half signed in is not signed in.
            #expect(try await browser.get("/account").location?.hasSuffix("/sign-in") == true)
            try await browser.get("/sign-in/code")
            // The code used at enrolment cannot be used again.
            let replay = try await browser.post("/sign-in/code", [("code", try #require(TOTP.code(secret: secret, at: enrolledAt)))])
            #expect(replay.status == .forbidden)
            // Each wrong code makes the next attempt wait (1 s, 2 s, …): a code sent sooner is refused
            // unchecked, and the page says how long to wait.
            let wrongCode = try #require(TOTP.code(secret: secret, at: enrolledAt.addingTimeInterval(3600)))
            let tooSoon = try await browser.post("/sign-in/code", [("code", wrongCode)])
            #expect(tooSoon.status == .forbidden)
            let next = try #require(TOTP.code(secret: secret, at: enrolledAt.addingTimeInterval(30)))
            var done = try await browser.post("/sign-in/code", [("code", next)])
            for _ in 0..<5 {
                guard let wait = done.html.firstMatch(of: #/Wait (\d+) second/#).flatMap({ Int($0.output.1) }) else { break }
                try await Task.sleep(for: .milliseconds(wait * 1000 + 100))
                done = try await browser.post("/sign-in/code", [("code", next)])
            }
            #expect(done.status == .seeOther && done.location?.hasSuffix("/t/\(onboarded.tenant.slug)/") == true)
            let full = try #require(await browser.cookies["kerb_session"])
            #expect(full != partial)
            #expect(try await browser.get("/account").status == .ok)
        }
    }

    @Test func aCookieFromOneCouncilMeansNothingAtAnother() async throws {
        let a = try await TestDatabase.onboardTestTenant()
        let b = try await TestDatabase.onboardTestTenant()
        let email = "alex.morgan@\(a.tenant.authoritySlug.dropFirst(5)).test.kerb.example"
        try await withApp { client, _ in
            let atA = Browser(client, tenant: a.tenant)
            _ = try await setUpAndSignIn(atA, token: a.adminSetupToken, email: email)
            let cookie = try #require(await atA.cookies["kerb_session"])
            let atB = Browser(client, tenant: b.tenant)
            await atB.setCookie("kerb_session", cookie)
            #expect(try await atB.get("/account").location == "/t/\(b.tenant.slug)/sign-in")
            #expect(try await atB.get("/admin/users").location == "/t/\(b.tenant.slug)/sign-in")
            // A's credentials do not sign in at B either.
            try await atB.get("/sign-in")
            #expect(try await atB.post("/sign-in", [("email", email), ("password", Self.password)]).status == .forbidden)
        }
    }

    @Test func anExpiredPasswordMustBeChangedBeforeAnythingElse() async throws {
        let onboarded = try await TestDatabase.onboardTestTenant()
        let email = "alex.morgan@\(onboarded.tenant.authoritySlug.dropFirst(5)).test.kerb.example"
        try await withApp { client, deps in
            let browser = Browser(client, tenant: onboarded.tenant)
            _ = try await setUpAndSignIn(browser, token: onboarded.adminSetupToken, email: email)
            try await deps.identity.database.transaction(onboarded.tenant.scope, logger: Self.logger) { conn in
                _ = try await conn.query("UPDATE users SET password_changed_at = now() - interval '91 days'", logger: Self.logger)
            }
            for path in ["/", "/admin/users", "/account"] {
                #expect(try await browser.get(path).location?.hasSuffix("/account/password") == true)
            }
            let page = try await browser.get("/account/password")
            #expect(page.status == .ok && page.html.contains("older than your council allows (90 days)"))
            let reused = try await browser.post(
                "/account/password", [("current-password", Self.password), ("new-password", Self.password), ("confirm", Self.password)])
            #expect(reused.status == .unprocessableContent && reused.html.contains("not used recently"))
            let fresh = "quartz-meadow-lantern-7"
            let changed = try await browser.post(
                "/account/password", [("current-password", Self.password), ("new-password", fresh), ("confirm", fresh)])
            #expect(changed.status == .seeOther)
            #expect(try await browser.get("/admin/users").status == .ok)
        }
    }
}
