import Foundation
import Identity
import Logging
import Tenancy

/// Identity's account service over the test cluster, for tests of setting up and signing in at
/// the service level: they take the real steps (a set-up link, then a password), never
/// `TestCouncil.signIn(as:)`.
public struct TestAccounts: Sendable {
    public static let logger = Logger(label: "test")
    public static let password = TestCouncil.password

    public init() {}

    /// An account service with cheap hashing over its own pool.
    public func withAccounts(_ body: (AccountService) async throws -> Void) async throws {
        try await TestDatabase.withTenantDatabase { database in
            let hasher = PasswordHasher(pool: TestDatabase.threads, parameters: TestDatabase.fastHashing)
            let service = try await AccountService(
                database: database, hasher: hasher, rules: try PasswordRules.bundled(), keys: TestDatabase.keyRing(database))
            try await body(service)
        }
    }

    /// A council whose first admin has set a password; returns it with the admin's email.
    public func councilWithAdmin(_ accounts: AccountService) async throws -> (Tenant, String) {
        let onboarded = try await TestDatabase.onboardTestTenant()
        let tenant = onboarded.tenant
        let email = "alex.morgan@\(tenant.authoritySlug.dropFirst(5)).test.kerb.example"
        _ = try await accounts.completeSetup(
            tenant.scope, token: onboarded.adminSetupToken, password: Self.password, now: Date(), logger: Self.logger)
        return (tenant, email)
    }

    /// Signs the council's first admin in and returns their id (the default policy then asks
    /// for 2FA enrolment before anything else).
    public func adminID(_ accounts: AccountService, _ tenant: Tenant, _ email: String, now: Date) async throws -> UUID {
        let outcome = try await accounts.signIn(tenant.scope, email: email, password: Self.password, now: now, logger: Self.logger)
        guard case .enrolmentRequired(let id) = outcome else { throw TestSupportError("signing in answered \(outcome)") }
        return id
    }
}
