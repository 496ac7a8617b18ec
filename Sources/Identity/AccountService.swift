import Foundation
import KerbCore
import Keys
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
    /// Seals TOTP secrets with the council's data key: a copy of the database alone cannot
    /// produce anyone's codes.
    public let keys: KeyRing
    /// Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
    let decoyHash: String

    public init(database: TenantDatabase, hasher: PasswordHasher, rules: PasswordRules, keys: KeyRing) async throws {
        self.database = database
        self.hasher = hasher
        self.rules = rules
        self.keys = keys
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
                WHERE token_hash = \(tokenHash) AND purpose = 'setup' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(now)
                RETURNING user_id
                """, logger: logger)
            var userID: UUID?
            for try await id in rows.decode(UUID.self) { userID = id }
            guard let userID else { throw IdentityError.invalidSetupToken }
            // Only an invited account is set up by a link: a disabled one stays disabled.
            var activated = false
            for try await _ in try await conn.query(
                """
                UPDATE users SET password_hash = \(hash), password_changed_at = \(now), status = 'active'
                WHERE id = \(userID) AND status = 'invited' RETURNING id
                """, logger: logger
            ).decode(UUID.self) { activated = true }
            guard activated else { throw IdentityError.invalidSetupToken }
            try await conn.query(
                "INSERT INTO password_history (user_id, password_hash) VALUES (\(userID), \(hash))", logger: logger)
            return userID
        }
    }

    /// Checks an email and password under the tenant's lockout policy.
    ///
    /// The attempt is claimed before the password is checked, in one atomic statement on the
    /// email's throttle row: it counts as a failure and sets the next wait (1, 2, 4 … up to 30
    /// seconds; the lock at the policy's threshold) unless the address is waiting or locked, in
    /// which case nothing is checked. A correct password then clears the count. So any number of
    /// concurrent guesses gets one password check per wait, and an address with no account
    /// answers exactly like one with an account: same errors, same waits, same cost (a decoy hash).
    public func signIn(_ scope: TenantScope, email: String, password: String, now: Date, logger: Logger) async throws -> SignInOutcome {
        let policy = try await currentPolicy(scope, logger: logger)
        try await claimAttempt(scope, email: email, security: policy.security, now: now, logger: logger)
        let account = try await database.transaction(scope, logger: logger) { conn in
            let rows = try await conn.query(
                """
                SELECT id, password_hash, password_changed_at, totp_enrolled_at IS NOT NULL, failed_codes, codes_locked_until
                FROM users WHERE lower(email) = lower(\(email)) AND status = 'active' AND kind = 'person'
                """, logger: logger)
            var found: Account?
            for try await row in rows.decode((UUID, String?, Date?, Bool, Int, Date?).self) {
                found = Account(
                    id: row.0, hash: row.1, passwordChangedAt: row.2, hasTOTP: row.3, failedCodes: row.4, codesLockedUntil: row.5)
            }
            return found
        }
        guard let account, let hash = account.hash else {
            _ = try await hasher.verify(password, against: decoyHash)
            throw IdentityError.invalidCredentials
        }
        let check = try await hasher.verify(password, against: hash)
        guard check.matches else {
            try await record(scope, account.id, "password-wrong", logger: logger)
            throw IdentityError.invalidCredentials
        }
        let rehashed = check.needsRehash ? try await hasher.hash(password) : nil
        try await database.transaction(scope, logger: logger) { conn in
            try await conn.query(
                "DELETE FROM sign_in_throttle WHERE email_hash = sha256(convert_to(lower(\(email)), 'UTF8'))", logger: logger)
            if let rehashed {
                try await conn.query("UPDATE users SET password_hash = \(rehashed) WHERE id = \(account.id)", logger: logger)
            }
            try await Self.recordAttempt(conn, account.id, "password-ok", logger: logger)
        }
        // Locked by wrong codes: the right password does not lift it (only time or an admin).
        if account.failedCodes >= policy.security.lockoutThreshold, let until = account.codesLockedUntil, until > now {
            try await record(scope, account.id, "locked", logger: logger)
            throw IdentityError.locked
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

    /// Counts one password attempt for `email` before it is checked, or refuses it (waiting or
    /// locked) without counting. One statement: the row lock makes concurrent claims queue, and
    /// each sees the wait the one before it set.
    func claimAttempt(
        _ scope: TenantScope, email: String, security: LocalPolicyDocument.Security, now: Date, logger: Logger
    ) async throws {
        let lockUntil = now.addingTimeInterval(Double(security.lockoutMinutes) * 60)
        let threshold = security.lockoutThreshold
        let refusal: IdentityError? = try await database.transaction(scope, logger: logger) { conn in
            var claimed = false
            for try await _ in try await conn.query(
                """
                INSERT INTO sign_in_throttle AS t (email_hash, failures, locked_until, updated_at)
                VALUES (sha256(convert_to(lower(\(email)), 'UTF8')), 1,
                    CASE WHEN 1 >= \(threshold) THEN \(lockUntil) ELSE \(now)::timestamptz + interval '1 second' END, \(now))
                ON CONFLICT (email_hash) DO UPDATE SET failures = t.failures + 1, updated_at = \(now),
                    locked_until = CASE WHEN t.failures + 1 >= \(threshold) THEN \(lockUntil)
                        ELSE \(now)::timestamptz + make_interval(secs => least(power(2, t.failures), 30)) END
                WHERE t.locked_until IS NULL OR t.locked_until <= \(now)
                RETURNING failures
                """, logger: logger
            ).decode(Int.self) { claimed = true }
            if claimed { return nil }
            var state: (Int, Date?)?
            for try await row in try await conn.query(
                "SELECT failures, locked_until FROM sign_in_throttle WHERE email_hash = sha256(convert_to(lower(\(email)), 'UTF8'))",
                logger: logger
            ).decode((Int, Date?).self) { state = row }
            let locked = (state?.0 ?? 0) >= threshold
            // Evidence for the account's owner and admin, when there is an account; the same
            // statement runs either way, so the answer takes as long for an unknown address.
            try await conn.query(
                """
                INSERT INTO sign_in_attempts (user_id, outcome)
                SELECT id, \(locked ? "locked" : "too-soon") FROM users WHERE lower(email) = lower(\(email)) AND kind = 'person'
                """, logger: logger)
            if locked { return .locked }
            let wait = state?.1.map { Int($0.timeIntervalSince(now).rounded(.up)) } ?? 1
            return .tooSoon(retryAfterSeconds: max(1, wait))
        }
        if let refusal { throw refusal }
    }

    /// Stores a new TOTP secret for the user (enrolment is confirmed by a first valid code).
    /// Operators' and tests' path; people enrol through `beginTOTPEnrolment`.
    public func enrolTOTP(_ scope: TenantScope, userID: UUID, secret: [UInt8], now: Date, logger: Logger) async throws {
        let sealed = try await keys.seal(secret, context: Self.totpContext(userID), scope, logger: logger)
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                """
                UPDATE users SET totp_secret = \(sealed), totp_enrolled_at = \(now), totp_last_step = NULL
                WHERE id = \(userID)
                """, logger: logger)
        }
    }

    /// Generates the secret a new authenticator will hold and keeps it on the server, pending
    /// confirmation. The secret never comes back from the client: `confirmTOTPEnrolment` reads
    /// it from here, so nobody can enrol a secret of their own choosing.
    public func beginTOTPEnrolment(_ scope: TenantScope, userID: UUID, now: Date, logger: Logger) async throws -> [UInt8] {
        let secret = TOTP.newSecret()
        let sealed = try await keys.seal(secret, context: Self.totpContext(userID), scope, logger: logger)
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                "UPDATE users SET totp_pending_secret = \(sealed), totp_pending_at = \(now) WHERE id = \(userID)", logger: logger)
        }
        return secret
    }

    /// The secret being enrolled, if one was generated in the last `pendingLifetime`.
    public func pendingTOTPSecret(_ scope: TenantScope, userID: UUID, now: Date, logger: Logger) async throws -> [UInt8]? {
        let sealed = try await database.transaction(scope, logger: logger) { conn in
            var sealed: Data?
            for try await row in try await conn.query(
                "SELECT totp_pending_secret, totp_pending_at FROM users WHERE id = \(userID)", logger: logger
            ).decode((Data?, Date?).self) {
                if let data = row.0, let at = row.1, at.addingTimeInterval(Self.pendingLifetime) > now { sealed = data }
            }
            return sealed
        }
        guard let sealed else { return nil }
        return Array(try await keys.open(sealed, context: Self.totpContext(userID), scope, logger: logger))
    }

    /// What a user's TOTP secret is sealed for: it opens only on that user's row.
    static func totpContext(_ userID: UUID) -> String { "totp:\(userID.uuidString.lowercased())" }

    /// How long a generated, unconfirmed authenticator secret stays usable.
    public static let pendingLifetime: TimeInterval = 15 * 60

    /// Confirms a new authenticator: the code must match the pending server-generated secret
    /// now; then that secret is stored with the code's step as used, so the same code cannot be
    /// replayed to sign in. Wrong codes count on the second-factor counter like any other.
    public func confirmTOTPEnrolment(_ scope: TenantScope, userID: UUID, code: String, now: Date, logger: Logger) async throws -> Bool {
        let policy = try await currentPolicy(scope, logger: logger).security
        return try await secondFactor(scope, userID: userID, policy: policy, now: now, logger: logger) { conn in
            var pending: (Data?, Date?)?
            for try await row in try await conn.query(
                "SELECT totp_pending_secret, totp_pending_at FROM users WHERE id = \(userID)", logger: logger
            ).decode((Data?, Date?).self) { pending = row }
            guard let data = pending?.0, let at = pending?.1, at.addingTimeInterval(Self.pendingLifetime) > now else {
                return "totp-enrol-expired"
            }
            let secret = Array(try await keys.open(data, context: Self.totpContext(userID), scope, logger: logger))
            guard let step = TOTP.matchingStep(secret: secret, code: code, at: now) else { return "totp-enrol-wrong" }
            _ = try await conn.query(
                """
                UPDATE users SET totp_secret = \(data), totp_enrolled_at = \(now), totp_last_step = \(step),
                    totp_pending_secret = NULL, totp_pending_at = NULL
                WHERE id = \(userID)
                """, logger: logger)
            return "totp-enrolled-ok"
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
            guard let state, let sealed = state.0 else { return "totp-missing" }
            let secret = Array(try await keys.open(sealed, context: Self.totpContext(userID), scope, logger: logger))
            guard let step = TOTP.matchingStep(secret: secret, code: code, at: now) else { return "totp-wrong" }
            if let last = state.1, step <= last {
                logger.warning("replayed TOTP code refused", metadata: ["kerb.user": .string(userID.uuidString)])
                return "totp-replayed"
            }
            try await conn.query("UPDATE users SET totp_last_step = \(step) WHERE id = \(userID)", logger: logger)
            return "totp-ok"
        }
    }

    /// Runs one second-factor check under the account's row lock, on the second-factor counter
    /// (never reset by a correct password): a waiting account is told how long, a locked one is
    /// refused unchecked; a wrong code adds a growing wait (1, 2, 4 … 30 seconds) and, at the
    /// policy's threshold, locks the account for the policy's minutes; a right code clears both.
    private func secondFactor(
        _ scope: TenantScope, userID: UUID, policy: LocalPolicyDocument.Security, now: Date, logger: Logger,
        _ check: (PostgresConnection) async throws -> String
    ) async throws -> Bool {
        let outcome: String = try await database.transaction(scope, logger: logger) { conn in
            var lock: (Int, Date?)?
            for try await row in try await conn.query(
                "SELECT failed_codes, codes_locked_until FROM users WHERE id = \(userID) FOR UPDATE", logger: logger
            ).decode((Int, Date?).self) { lock = row }
            guard let lock else { return "unknown" }
            if let until = lock.1, until > now {
                let outcome = lock.0 >= policy.lockoutThreshold ? "locked" : "code-too-soon"
                try await Self.recordAttempt(conn, userID, outcome, logger: logger)
                return outcome == "locked" ? outcome : "wait:\(max(1, Int(until.timeIntervalSince(now).rounded(.up))))"
            }
            let outcome = try await check(conn)
            let ok = outcome.hasSuffix("-ok")
            let lockUntil = now.addingTimeInterval(Double(policy.lockoutMinutes) * 60)
            _ = try await conn.query(
                """
                UPDATE users SET failed_codes = CASE WHEN \(ok) THEN 0 ELSE failed_codes + 1 END,
                    codes_locked_until = CASE WHEN \(ok) THEN NULL
                        WHEN failed_codes + 1 >= \(policy.lockoutThreshold) THEN \(lockUntil)
                        ELSE \(now)::timestamptz + make_interval(secs => least(power(2, failed_codes), 30)) END
                WHERE id = \(userID)
                """, logger: logger)
            try await Self.recordAttempt(conn, userID, outcome, logger: logger)
            return outcome
        }
        if outcome == "locked" { throw IdentityError.locked }
        if outcome.hasPrefix("wait:"), let seconds = Int(outcome.dropFirst(5)) { throw IdentityError.tooSoon(retryAfterSeconds: seconds) }
        return outcome.hasSuffix("-ok")
    }

    /// Changes a signed-in user's password: the current one must be right (a wrong one counts
    /// towards the lockout like a wrong sign-in), the new one must pass the rules and differ
    /// from the last `password_history` ones (local policy). Every other session of the person
    /// ends in the same transaction, so whoever knew the old password is signed out.
    public func changePassword(
        _ scope: TenantScope, userID: UUID, current: String, new: String, keepingSession: UUID? = nil, now: Date, logger: Logger
    ) async throws {
        let policy = try await currentPolicy(scope, logger: logger)
        let problems = rules.with(minimumLength: policy.security.passwordMinLength).problems(with: new)
        guard problems.isEmpty else { throw IdentityError.weakPassword(problems) }
        try await confirmPassword(scope, userID: userID, password: current, security: policy.security, now: now, logger: logger)
        let depth = max(1, policy.security.passwordHistory)
        let history = try await database.transaction(scope, logger: logger) { conn in
            var history: [String] = []
            for try await hash in try await conn.query(
                "SELECT password_hash FROM password_history WHERE user_id = \(userID) ORDER BY id DESC LIMIT \(depth)", logger: logger
            ).decode(String.self) { history.append(hash) }
            return history
        }
        for old in history where try await hasher.verify(new, against: old).matches {
            throw IdentityError.passwordReused
        }
        let hash = try await hasher.hash(new)
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                "UPDATE users SET password_hash = \(hash), password_changed_at = \(now) WHERE id = \(userID)", logger: logger)
            _ = try await conn.query(
                "INSERT INTO password_history (user_id, password_hash) VALUES (\(userID), \(hash))", logger: logger)
            _ = try await conn.query(
                """
                UPDATE sessions SET ended_at = \(now), ended_reason = 'password-changed'
                WHERE user_id = \(userID) AND ended_at IS NULL AND id IS DISTINCT FROM \(keepingSession)
                """, logger: logger)
        }
    }

    /// Checks a signed-in person's password again before a sensitive change (new recovery
    /// codes, a new password). Counted on the same throttle as sign-in: a wrong one waits and
    /// locks exactly as there, and a right one clears the count.
    public func confirmPassword(
        _ scope: TenantScope, userID: UUID, password: String, security: LocalPolicyDocument.Security? = nil, now: Date, logger: Logger
    ) async throws {
        var rules = security
        if rules == nil { rules = try await currentPolicy(scope, logger: logger).security }
        guard let security = rules else { throw IdentityError.invalidCredentials }
        let found: (String, String?)? = try await database.transaction(scope, logger: logger) { conn in
            var row: (String, String?)?
            for try await value in try await conn.query("SELECT email, password_hash FROM users WHERE id = \(userID)", logger: logger)
                .decode((String, String?).self)
            { row = value }
            return row
        }
        guard let (email, stored) = found, let stored else { throw IdentityError.invalidCredentials }
        try await claimAttempt(scope, email: email, security: security, now: now, logger: logger)
        guard try await hasher.verify(password, against: stored).matches else {
            try await record(scope, userID, "password-wrong", logger: logger)
            throw IdentityError.invalidCredentials
        }
        try await database.transaction(scope, logger: logger) { conn in
            try await conn.query(
                "DELETE FROM sign_in_throttle WHERE email_hash = sha256(convert_to(lower(\(email)), 'UTF8'))", logger: logger)
            try await Self.recordAttempt(conn, userID, "password-confirmed", logger: logger)
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
        let passwordChangedAt: Date?
        let hasTOTP: Bool
        let failedCodes: Int
        let codesLockedUntil: Date?
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
