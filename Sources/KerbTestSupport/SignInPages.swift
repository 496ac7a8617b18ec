import Foundation
import Identity
import Testing

/// The real sign-in through the pages, for tests about signing in (others use
/// `TestCouncil.signIn(as:)`).
///
/// Sets the password with the set-up link, signs in and enrols an authenticator through the
/// pages; returns the TOTP secret and the time step used last.
public func setUpAndSignIn(_ browser: Browser, token: String, email: String, now: Date = Date()) async throws -> [UInt8] {
    let password = TestCouncil.password
    try await browser.get("/setup?token=\(token)")
    let set = try await browser.post("/setup", [("token", token), ("password", password), ("confirm", password)])
    #expect(set.status == .ok && set.html.contains("Your password is set"), "\(set.html.prefix(3000))")
    try await browser.get("/sign-in")
    let signedIn = try await browser.post("/sign-in", [("email", email), ("password", password)])
    #expect(signedIn.status == .seeOther && signedIn.location?.hasSuffix("/sign-in/enrol") == true)
    let enrol = try await browser.get("/sign-in/enrol")
    #expect(enrol.html.contains("data:image/svg+xml;base64,"))
    // The server generated the secret and shows it as a key to type; no form field carries it.
    #expect(Browser.field("secret", in: enrol.html) == nil)
    let key = try #require(enrol.html.firstMatch(of: #/<code class="kerb-code">([A-Z2-7 ]+)</code>/#)?.output.1)
    let secret = try #require(TOTP.secret(base32: String(key)))
    let done = try await browser.post("/sign-in/enrol", [("code", try #require(TOTP.code(secret: secret, at: now)))])
    #expect(done.status == .ok && done.html.contains("Two-factor authentication is set up"))
    try await browser.get("/")  // as a person would press Continue; forms now carry the new session's token
    return secret
}
