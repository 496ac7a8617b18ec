import Identity
import Testing

/// The part of `SessionServiceTests` (database target) that needs no database.
@Suite struct SessionServiceTests {
    @Test func csrfTokensBelongToTheirSession() {
        let token = "session-token-one"
        let csrf = SessionService.csrfToken(for: token)
        #expect(SessionService.csrfMatches(csrf, sessionToken: token))
        #expect(!SessionService.csrfMatches(csrf, sessionToken: "session-token-two"))
        #expect(!SessionService.csrfMatches("", sessionToken: token))
        let tampered = (csrf.first == "A" ? "B" : "A") + String(csrf.dropFirst())
        #expect(!SessionService.csrfMatches(tampered, sessionToken: token))
    }
}
