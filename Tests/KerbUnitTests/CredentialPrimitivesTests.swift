import Foundation
import Identity
import NIOPosix
import Testing

/// The C libraries behind passwords and 2FA, checked against their published vectors.
@Suite struct CredentialPrimitivesTests {
    @Test func argon2idHashesVerifyAndCarryTheirParameters() throws {
        let cheap = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)
        let hash = try Argon2id.hash("correct horse battery staple", cheap)
        #expect(hash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        #expect(Argon2id.verify("correct horse battery staple", against: hash))
        #expect(!Argon2id.verify("correct horse battery stapler", against: hash))
        #expect(!Argon2id.verify("anything", against: "not a hash"))
        #expect(Argon2id.parameters(of: hash) == cheap)
        #expect(Argon2id.needsRehash(hash))
        #expect(try Argon2id.hash("same", cheap) != (try Argon2id.hash("same", cheap)))  // fresh salt each time
    }

    @Test func argon2idAtOWASPParametersNeedsNoRehash() throws {
        let hash = try Argon2id.hash("a long enough passphrase")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(!Argon2id.needsRehash(hash))
        #expect(Argon2id.verify("a long enough passphrase", against: hash))
    }

    /// RFC 6238 appendix B (SHA-1 seed), truncated to 6 digits.
    @Test(arguments: [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")])
    func totpMatchesRFC6238(time: Int, code: String) {
        let secret = Array("12345678901234567890".utf8)
        let at = Date(timeIntervalSince1970: TimeInterval(time))
        #expect(TOTP.code(secret: secret, at: at) == code)
        #expect(TOTP.matchingStep(secret: secret, code: code, at: at) == Int64(time / 30))
    }

    @Test func totpAcceptsOneStepOfDriftAndNoMore() throws {
        let secret = TOTP.newSecret()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let code = try #require(TOTP.code(secret: secret, at: now))
        let step = Int64(1_800_000_000 / 30)
        #expect(TOTP.matchingStep(secret: secret, code: code, at: now.addingTimeInterval(30)) == step)
        #expect(TOTP.matchingStep(secret: secret, code: code, at: now.addingTimeInterval(-30)) == step)
        #expect(TOTP.matchingStep(secret: secret, code: code, at: now.addingTimeInterval(90)) == nil)
        #expect(TOTP.matchingStep(secret: secret, code: "12345", at: now) == nil)
        #expect(TOTP.matchingStep(secret: secret, code: "abcdef", at: now) == nil)
    }

    @Test func provisioningURIIsBase32() {
        let uri = TOTP.provisioningURI(secret: Array("12345678901234567890".utf8), account: "ann@council.gov.uk", issuer: "Kerb Devon")
        #expect(
            uri.hasPrefix("otpauth://totp/Kerb%20Devon%3Aann@council.gov.uk?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Kerb%20Devon"))
    }
}

@Suite struct PasswordRulesTests {
    static let rules: PasswordRules = try! PasswordRules.bundled()

    @Test(arguments: ["correct horse battery staple", "Tŷ Newydd 1984 rhodri", "lamp-orbit-velvet-42"])
    func longUncommonPasswordsAreAccepted(_ password: String) {
        #expect(Self.rules.problems(with: password).isEmpty)
    }

    @Test(arguments: ["password1234", "Password2024!!", "qwertyuiop123", "qwertyqwerty", "aaaaaaaaaaaa", "1234567890123"])
    func commonPasswordsAreRefusedWhateverTheirLength(_ password: String) {
        #expect(Self.rules.problems(with: password).contains { $0.message.contains("too common") })
    }

    @Test func lengthIsBetweenTheMinimumAnd128() {
        #expect(Self.rules.problems(with: "short words").map(\.message) == ["Password must be 12 characters or more"])
        #expect(Self.rules.with(minimumLength: 16).problems(with: "lamp-orbit-velve").isEmpty)
        #expect(!Self.rules.with(minimumLength: 16).problems(with: "lamp-orbit-velv").isEmpty)
        #expect(
            Self.rules.problems(with: (1...60).map(String.init).joined(separator: "x")).map(\.message) == [
                "Password must be 128 characters or fewer"
            ])
        // Characters as people see them: "é" counts once, so this is exactly 12.
        #expect(Self.rules.problems(with: "éèêë ñóò üúù").isEmpty)
        #expect(!Self.rules.problems(with: "éèêë ñóò üú").isEmpty)
    }

    @Test func hashingRunsOnItsOwnPoolAndFlagsOldParameters() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let cheap = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)
        let old = PasswordHasher(pool: pool, parameters: cheap)
        let hash = try await old.hash("lamp-orbit-velvet-42")
        let current = PasswordHasher(pool: pool)
        let result = try await current.verify("lamp-orbit-velvet-42", against: hash)
        #expect(result.matches && result.needsRehash)
        let wrong = try await current.verify("lamp-orbit-velvet-43", against: hash)
        #expect(!wrong.matches && !wrong.needsRehash)
        try await pool.shutdownGracefully()
    }
}
