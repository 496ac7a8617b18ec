import Foundation
import Identity
import KerbCore
import Policy
import Storage

/// The supplier's own operations team. Their accounts live in `kerb_ops`, a schema with the
/// same tables as a council's, so they get the same sign-in, 2FA, lockout, sessions and audit
/// code. It is not a row in the tenant list, so no council route can reach it, and its accounts
/// cannot sign in to a council (nor a council's to it): each looks only in its own schema.
public enum SupplierOps {
    /// The ops "tenant" the web layer mounts at `/ops` on the service's own host.
    public static let tenant = Tenant(
        id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), slug: Slug("kerb-ops")!, authoritySlug: "kerb-ops",
        displayName: "Kerb supplier operations", band: .a, nation: .england, status: .active, statusReason: nil, hostnames: [],
        createdAt: Date(timeIntervalSince1970: 0), suspendedAt: nil, scope: .supplierOps)

    public static let groupName = "Supplier operations"

    /// Creates the ops schema on first run with every tenant migration, its policy (the default,
    /// 2FA required) and its one access group. Later runs change nothing; `kerb migrate` then
    /// keeps the schema up to date with the councils'.
    public static func ensure(_ database: AdminDatabase, migrations: [Migration]) async throws {
        let appUser = database.config.appUser
        let policy = try LocalPolicy.initial(for: .england)
        try await database.transaction { session in
            let scope = TenantScope.supplierOps
            guard try session.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [scope.schema]).isEmpty else { return }
            try session.createTenantRoleAndSchema(scope, appUser: appUser)
            try session.applyTenantMigrations(scope, migrations)
            try session.enterTenant(scope)
            try LocalPolicy.recordInitial(session, document: policy.document, reason: "Supplier operations policy", actor: "kerb migrate")
            try session.query(
                "INSERT INTO access_groups (name, description, permissions) VALUES ($1, $2, $3::text[])",
                [groupName, "Onboard, suspend and resume councils", "{\(Permission.manageTenants.rawValue)}"])
            try session.leaveTenant()
        }
    }

    /// Adds a member of the operations team with a one-time set-up link (`kerb ops invite`).
    public static func invite(_ database: AdminDatabase, fullName: String, email: String) async throws -> String {
        let issues = AccountProvisioning.validate(fullName: fullName, email: email, fields: ("name", "email"))
        guard issues.isEmpty else { throw TenancyError.invalidAdmin(issues) }
        return try await database.transaction { session in
            try session.enterTenant(.supplierOps)
            if !(try session.query("SELECT 1 FROM users WHERE lower(email) = lower($1)", [email]).isEmpty) {
                guard let token = try AccountProvisioning.reissueSetupToken(session, email: email) else {
                    throw TenancyError.invalidAdmin([FieldIssue(field: "email", message: "\(email) has already set up an account")])
                }
                return token.token
            }
            return try AccountProvisioning.createInvited(session, fullName: fullName, email: email, groups: [groupName]).token
        }
    }
}
