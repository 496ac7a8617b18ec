import Foundation
import KerbCore
import Logging
import Policy
import PostgresNIO
import Storage

/// Setting a password, signing in, and checking the second factor for an authority's users,
/// inside that authority's schema, under its current local policy. Hashing runs outside the
/// database transactions (it takes ~25 ms), so no transaction is held open while it runs.
public struct AccountService: Sendable {
    public let database: TenantDatabase
    public let hasher: PasswordHasher
    public let rules: PasswordRules
    /// Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
    let decoyHash: String

    public init(database: TenantDatabase, hasher: PasswordHasher, rules: PasswordRules) async throws {
        self.database = database
        self.hasher = hasher
        self.rules = rules
        self.decoyHash = try await hasher.hash("decoy password for unknown accounts")
    }

    /// What happens after a correct password.
    public enum SignInOutcome: Sendable, Equatable {
        case signedIn(UUID)
        /// 2FA is enrolled: ask for a code.
        case secondFactorRequired(UUID)
        /// Local policy requires 2FA and the user has none yet: enrol before anything else.
        case enrolmentRequired(UUID)
        /// The password is older than local policy allows and there is no second factor to check
        /// first: change it before anything else. (With 2FA, expiry is enforced once the code is in.)
        case passwordExpired(UUID)
    }

    /// Uses a one-time set-up token to set the user's first password and activate the account.
    public func completeSetup(_ scope: TenantScope, token: String, password: String, now: Date, logger: Logger) async throws -> UUID {
        let policy = try await currentPolicy(scope, logger: logger)
        let problems = rules.with(minimumLength: policy.security.passwordMinLength).problems(with: password)
        guard problems.isEmpty else { throw IdentityError.weakPassword(problems) }
        let hash = try await hasher.hash(password)
        let tokenHash = Data(SetupToken.hash(of: token))  // Data binds as bytea
        return try await database.transaction(scope, logger: logger) { conn in
            let rows = try await conn.query(
                """
                UPDATE setup_tokens SET used_at = \(now)
                WHERE token_hash = \(tokenHash) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(now)
                RETURNING user_id
                """, logger: logger)
            var userID: UUID?
            for try await id in rows.decode(UUID.self) { userID = id }
            guard let userID else { throw IdentityError.invalidSetupToken }
            try await conn.query(
                """
                UPDATE users SET password_hash = \(hash), password_changed_at = \(now), status = 'active',
                    failed_sign_ins = 0, locked_until = NULL
                WHERE id = \(userID)
                """, logger: logger)
            try await conn.query(
                "INSERT INTO password_history (user_id, password_hash) VALUES (\(userID), \(hash))", logger: logger)
            return userID
        }
    }

    /// Checks an email and password under the tenant's lockout policy. Each failure counts towards
    /// the lock and makes the next attempt wait longer (1, 2, 4 … up to 30 seconds); a locked or
    /// waiting account is refused without looking at the password.
    public func signIn(_ scope: TenantScope, email: String, password: String, now: Date, logger: Logger) async throws -> SignInOutcome {
        let policy = try await currentPolicy(scope, logger: logger)
        let account = try await database.transaction(scope, logger: logger) { conn in
            let rows = try await conn.query(
                """
                SELECT id, password_hash, locked_until, password_changed_at, totp_enrolled_at IS NOT NULL, failed_sign_ins
                FROM users WHERE lower(email) = lower(\(email)) AND status = 'active' AND kind = 'person'
                """, logger: logger)
            var found: (UUID, String?, Date?, Date?, Bool, Int)?
            for try await row in rows.decode((UUID, String?, Date?, Date?, Bool, Int).self) { found = row }
            return found.map {
                Account(id: $0.0, hash: $0.1, lockedUntil: $0.2, passwordChangedAt: $0.3, hasTOTP: $0.4, failedSignIns: $0.5)
            }
        }
        guard let account, let hash = account.hash else {
            _ = try await hasher.verify(password, against: decoyHash)
            throw IdentityError.invalidCredentials
        }
        if let lockedUntil = account.lockedUntil, lockedUntil > now {
            if account.failedSignIns >= policy.security.lockoutThreshold {
                try await record(scope, account.id, "locked", logger: logger)
                throw IdentityError.locked
            }
            try await record(scope, account.id, "too-soon", logger: logger)
            throw IdentityError.tooSoon(retryAfterSeconds: Int(lockedUntil.timeIntervalSince(now).rounded(.up)))
        }
        let check = try await hasher.verify(password, against: hash)
        guard check.matches else {
            try await recordFailure(scope, account.id, policy: policy.security, now: now, logger: logger)
            throw IdentityError.invalidCredentials
        }
        let rehashed = check.needsRehash ? try await hasher.hash(password) : nil
        try await database.transaction(scope, logger: logger) { conn in
            try await conn.query(
                """
                UPDATE users SET failed_sign_ins = 0, locked_until = NULL,
                    password_hash = coalesce(\(rehashed), password_hash)
                WHERE id = \(account.id)
                """, logger: logger)
            try await Self.recordAttempt(conn, account.id, "password-ok", logger: logger)
        }
        // The second factor comes first: a stolen password alone must not be enough to set a new one.
        if account.hasTOTP { return .secondFactorRequired(account.id) }
        if policy.security.mfaRequired { return .enrolmentRequired(account.id) }
        let maxAge = policy.security.passwordMaxAgeDays
        if maxAge > 0, let changed = account.passwordChangedAt, changed.addingTimeInterval(Double(maxAge) * 86_400) < now {
            return .passwordExpired(account.id)
        }
        return .signedIn(account.id)
    }

    /// Stores a new TOTP secret for the user (enrolment is confirmed by a first valid code).
    public func enrolTOTP(_ scope: TenantScope, userID: UUID, secret: [UInt8], now: Date, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                """
                UPDATE users SET totp_secret = \(Data(secret)), totp_enrolled_at = \(now), totp_last_step = NULL
                WHERE id = \(userID)
                """, logger: logger)
        }
    }

    /// Confirms a new authenticator: the code must match `secret` now; then the secret is stored
    /// with that code's step as used, so the same code cannot be replayed to sign in.
    public func confirmTOTPEnrolment(
        _ scope: TenantScope, userID: UUID, secret: [UInt8], code: String, now: Date, logger: Logger
    ) async throws -> Bool {
        let step = TOTP.matchingStep(secret: secret, code: code, at: now)
        return try await database.transaction(scope, logger: logger) { conn in
            guard let step else {
                try await Self.recordAttempt(conn, userID, "totp-enrol-wrong", logger: logger)
                return false
            }
            _ = try await conn.query(
                """
                UPDATE users SET totp_secret = \(Data(secret)), totp_enrolled_at = \(now), totp_last_step = \(step)
                WHERE id = \(userID)
                """, logger: logger)
            try await Self.recordAttempt(conn, userID, "totp-enrolled", logger: logger)
            return true
        }
    }

    /// True for a valid code whose time step is later than the last one accepted; a replayed
    /// code is refused and recorded. Wrong codes count towards the lockout like wrong passwords
    /// (so the second factor cannot be guessed), and a locked account is refused unchecked.
    public func verifyTOTP(_ scope: TenantScope, userID: UUID, code: String, now: Date, logger: Logger) async throws -> Bool {
        let policy = try await currentPolicy(scope, logger: logger).security
        return try await secondFactor(scope, userID: userID, policy: policy, now: now, logger: logger) { conn in
            let rows = try await conn.query("SELECT totp_secret, totp_last_step FROM users WHERE id = \(userID)", logger: logger)
            var state: (Data?, Int64?)?
            for try await row in rows.decode((Data?, Int64?).self) { state = row }
            guard let state, let secret = state.0.map(Array.init) else { return "totp-missing" }
            guard let step = TOTP.matchingStep(secret: secret, code: code, at: now) else { return "totp-wrong" }
            if let last = state.1, step <= last {
                logger.warning("replayed TOTP code refused", metadata: ["kerb.user": .string(userID.uuidString)])
                return "totp-replayed"
            }
            try await conn.query("UPDATE users SET totp_last_step = \(step) WHERE id = \(userID)", logger: logger)
            return "totp-ok"
        }
    }

    /// Runs one second-factor check under the account's row lock: refuses a locked account,
    /// records the outcome, and counts a failure towards the lockout (or clears the count).
    private func secondFactor(
        _ scope: TenantScope, userID: UUID, policy: LocalPolicyDocument.Security, now: Date, logger: Logger,
        _ check: (PostgresConnection) async throws -> String
    ) async throws -> Bool {
        let outcome: String = try await database.transaction(scope, logger: logger) { conn in
            var lock: (Int, Date?)?
            for try await row in try await conn.query(
                "SELECT failed_sign_ins, locked_until FROM users WHERE id = \(userID) FOR UPDATE", logger: logger
            ).decode((Int, Date?).self) { lock = row }
            guard let lock else { return "unknown" }
            if lock.0 >= policy.lockoutThreshold, let until = lock.1, until > now {
                try await Self.recordAttempt(conn, userID, "locked", logger: logger)
                return "locked"
            }
            let outcome = try await check(conn)
            let ok = outcome.hasSuffix("-ok")
            let lockUntil = now.addingTimeInterval(Double(policy.lockoutMinutes) * 60)
            _ = try await conn.query(
                """
                UPDATE users SET failed_sign_ins = CASE WHEN \(ok) THEN 0 ELSE failed_sign_ins + 1 END,
                    locked_until = CASE WHEN \(ok) THEN NULL
                        WHEN failed_sign_ins + 1 >= \(policy.lockoutThreshold) THEN \(lockUntil) ELSE locked_until END
                WHERE id = \(userID)
                """, logger: logger)
            try await Self.recordAttempt(conn, userID, outcome, logger: logger)
            return outcome
        }
        if outcome == "locked" { throw IdentityError.locked }
        return outcome.hasSuffix("-ok")
    }

    /// Changes a signed-in user's password: the current one must be right, the new one must pass
    /// the rules and differ from the last `password_history` ones (local policy).
    public func changePassword(
        _ scope: TenantScope, userID: UUID, current: String, new: String, now: Date, logger: Logger
    ) async throws {
        let policy = try await currentPolicy(scope, logger: logger)
        let problems = rules.with(minimumLength: policy.security.passwordMinLength).problems(with: new)
        guard problems.isEmpty else { throw IdentityError.weakPassword(problems) }
        let depth = max(1, policy.security.passwordHistory)
        let (stored, history) = try await database.transaction(scope, logger: logger) { conn in
            var stored: String?
            for try await hash in try await conn.query("SELECT password_hash FROM users WHERE id = \(userID)", logger: logger)
                .decode(String?.self)
            { stored = hash }
            var history: [String] = []
            for try await hash in try await conn.query(
                "SELECT password_hash FROM password_history WHERE user_id = \(userID) ORDER BY id DESC LIMIT \(depth)", logger: logger
            ).decode(String.self) { history.append(hash) }
            return (stored, history)
        }
        guard let stored, try await hasher.verify(current, against: stored).matches else { throw IdentityError.invalidCredentials }
        for old in history where try await hasher.verify(new, against: old).matches {
            throw IdentityError.passwordReused
        }
        let hash = try await hasher.hash(new)
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                "UPDATE users SET password_hash = \(hash), password_changed_at = \(now) WHERE id = \(userID)", logger: logger)
            _ = try await conn.query(
                "INSERT INTO password_history (user_id, password_hash) VALUES (\(userID), \(hash))", logger: logger)
        }
    }

    /// Replaces a user's recovery codes with ten new ones, shown once.
    public func issueRecoveryCodes(_ scope: TenantScope, userID: UUID, logger: Logger) async throws -> [String] {
        let codes = (0..<10).map { _ in RecoveryCode.generate() }
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query("DELETE FROM recovery_codes WHERE user_id = \(userID)", logger: logger)
            for code in codes {
                _ = try await conn.query(
                    "INSERT INTO recovery_codes (user_id, code_hash) VALUES (\(userID), \(Data(RecoveryCode.hash(code))))", logger: logger)
            }
        }
        return codes
    }

    /// Accepts an unused recovery code in place of a TOTP code, once; wrong codes count towards
    /// the lockout like wrong TOTP codes.
    public func useRecoveryCode(_ scope: TenantScope, userID: UUID, code: String, now: Date, logger: Logger) async throws -> Bool {
        let policy = try await currentPolicy(scope, logger: logger).security
        let hash = Data(RecoveryCode.hash(code))
        return try await secondFactor(scope, userID: userID, policy: policy, now: now, logger: logger) { conn in
            var used = false
            for try await _ in try await conn.query(
                """
                UPDATE recovery_codes SET used_at = \(now)
                WHERE user_id = \(userID) AND code_hash = \(hash) AND used_at IS NULL RETURNING id
                """, logger: logger
            ).decode(UUID.self) { used = true }
            return used ? "recovery-code-ok" : "recovery-code-wrong"
        }
    }

    /// The tenant's newest local policy version.
    public func currentPolicy(_ scope: TenantScope, logger: Logger) async throws -> LocalPolicyDocument {
        try await database.transaction(scope, logger: logger) { conn in try await LocalPolicyStore.inForce(on: conn, logger: logger) }
    }

    private struct Account: Sendable {
        let id: UUID
        let hash: String?
        let lockedUntil: Date?
        let passwordChangedAt: Date?
        let hasTOTP: Bool
        let failedSignIns: Int
    }

    private func recordFailure(
        _ scope: TenantScope, _ userID: UUID, policy: LocalPolicyDocument.Security, now: Date, logger: Logger
    ) async throws {
        let lockUntil = now.addingTimeInterval(Double(policy.lockoutMinutes) * 60)
        try await database.transaction(scope, logger: logger) { conn in
            // One atomic step, so concurrent failures all count.
            try await conn.query(
                """
                UPDATE users SET failed_sign_ins = failed_sign_ins + 1,
                    locked_until = CASE WHEN failed_sign_ins + 1 >= \(policy.lockoutThreshold) THEN \(lockUntil)
                        ELSE \(now)::timestamptz + make_interval(secs => least(power(2, failed_sign_ins), 30)) END
                WHERE id = \(userID)
                """, logger: logger)
            try await Self.recordAttempt(conn, userID, "password-wrong", logger: logger)
        }
    }

    private func record(_ scope: TenantScope, _ userID: UUID, _ outcome: String, logger: Logger) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.recordAttempt(conn, userID, outcome, logger: logger)
        }
    }

    /// Every sign-in step leaves a row, in the same transaction as its effect.
    private static func recordAttempt(_ conn: PostgresConnection, _ userID: UUID, _ outcome: String, logger: Logger) async throws {
        _ = try await conn.query("INSERT INTO sign_in_attempts (user_id, outcome) VALUES (\(userID), \(outcome))", logger: logger)
    }
}
