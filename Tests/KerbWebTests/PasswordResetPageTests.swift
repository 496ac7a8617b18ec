import Foundation
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Logging
import PostgresNIO
import Storage
import Testing
import Web

/// Issue 12, item 4: a self-service password reset by emailed link. No enumeration (the same
/// answer for an address without an account, and nothing sent), one link per account per ten
/// minutes, a link works once, for resets only, ends every session; the second factor stays.
@Suite struct PasswordResetPageTests {
    static let logger = Logger(label: "test")

    static func resetBodies(_ deps: WebDependencies, _ scope: TenantScope) async throws -> [String] {
        try await deps.identity.database.transaction(scope, logger: logger) { conn in
            try await conn.query("SELECT body FROM messages WHERE kind = 'password-reset' ORDER BY created_at", logger: logger).collect()
                .map { try $0.decode(String.self) }
        }
    }

    @Test func aForgottenPasswordIsResetByAnEmailedLinkOnce() async throws {
        try await withApp { client, deps in
            let world = try await TestCouncil.onboard(client, deps)
            let priya = try await world.person("Priya Shah", groups: ["Case officers"])
            let signedIn = try await world.signIn(as: priya)
            let scope = world.tenant.scope
            let visitor = Browser(client, tenant: world.tenant)

            let signInPage = try await visitor.get("/sign-in")
            #expect(signInPage.html.contains("/password/forgotten\""))
            #expect(try await visitor.get("/password/forgotten").status == .ok)
            let known = try await visitor.post("/password/forgotten", [("email", priya.email.uppercased())])
            let unknown = try await visitor.post("/password/forgotten", [("email", "nobody@\(world.domain)")])
            #expect(known.status == .ok && known.html.contains("Check your email"))
            #expect(unknown.status == known.status && Self.main(unknown.html) == Self.main(known.html))
            // Asking again at once sends nothing more.
            _ = try await visitor.post("/password/forgotten", [("email", priya.email)])
            let bodies = try await Self.resetBodies(deps, scope)
            #expect(bodies.count == 1)
            let token = try #require(bodies.first?.firstMatch(of: #/password/reset\?token=([A-Za-z0-9_-]+)/#)?.output.1)

            // The set-up link of an invited person is not a reset link, nor the reset link a set-up one.
            let invited = try await world.person("Sam Okafor", groups: [])
            #expect(
                try await visitor.post(
                    "/password/reset",
                    [("token", invited.setupToken), ("password", "quiet-harbour-lantern-7"), ("confirm", "quiet-harbour-lantern-7")]
                ).status == .notFound)
            #expect(
                try await visitor.post(
                    "/setup", [("token", String(token)), ("password", "quiet-harbour-lantern-7"), ("confirm", "quiet-harbour-lantern-7")]
                ).status == .notFound)

            #expect(try await visitor.get("/password/reset?token=\(token)").status == .ok)
            let weak = try await visitor.post(
                "/password/reset", [("token", String(token)), ("password", "password"), ("confirm", "password")])
            #expect(weak.status == .unprocessableContent)
            let reused = try await visitor.post(
                "/password/reset", [("token", String(token)), ("password", TestCouncil.password), ("confirm", TestCouncil.password)])
            #expect(reused.status == .unprocessableContent)
            let newPassword = "quiet-harbour-lantern-7"
            let done = try await visitor.post(
                "/password/reset", [("token", String(token)), ("password", newPassword), ("confirm", newPassword)])
            #expect(done.status == .ok && done.html.contains("Your password is set"))
            let again = try await visitor.post(
                "/password/reset", [("token", String(token)), ("password", "other-words-here-9"), ("confirm", "other-words-here-9")])
            #expect(again.status == .notFound)

            // Every session of hers ended; the new password signs in, and still asks for her code.
            #expect(try await signedIn.get("/cases").location?.hasSuffix("/sign-in") == true)
            let fresh = Browser(client, tenant: world.tenant)
            try await fresh.get("/sign-in")
            let signIn = try await fresh.post("/sign-in", [("email", priya.email), ("password", newPassword)])
            #expect(signIn.status == .seeOther && signIn.location?.hasSuffix("/sign-in/code") == true)
            let trail = try await deps.identity.database.transaction(scope, logger: Self.logger) { conn in
                try await conn.query(
                    "SELECT action FROM audit_events WHERE action LIKE 'users.password-reset%' ORDER BY seq", logger: Self.logger
                )
                .collect().map { try $0.decode(String.self) }
            }
            #expect(trail == ["users.password-reset-request", "users.password-reset"])
        }
    }

    /// The page's main content, without the request id and form tokens that differ per request.
    static func main(_ html: String) -> String {
        let main = html.components(separatedBy: "<main").dropFirst().first?.components(separatedBy: "</main>").first ?? ""
        return main.replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression)
    }
}
