import Testing

@testable import Web

/// The dispatch service's two-second passes skip a council after three passes with nothing to
/// do, and visit it every pass again once it has work.
@Suite struct QuietCouncilsTests {
    @Test func aCouncilIsQuietAfterThreeIdlePassesAndBusyAtOnceAgain() {
        let quiet = QuietCouncils()
        #expect(!quiet.isQuiet("devon"))
        for _ in 0..<2 { quiet.record("devon", busy: false) }
        #expect(!quiet.isQuiet("devon"))
        quiet.record("devon", busy: false)
        #expect(quiet.isQuiet("devon") && !quiet.isQuiet("cardiff"))
        quiet.record("devon", busy: true)
        #expect(!quiet.isQuiet("devon"))
    }
}
