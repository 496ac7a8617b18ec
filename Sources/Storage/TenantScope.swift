import KerbCore

/// The PostgreSQL identity of one tenant: its schema and its two roles. Built only from a
/// validated `Slug`, which is what makes the names safe to quote into DDL and to pass to
/// `set_config('role' | 'search_path', …)`.
///
/// Two roles, so that what writes the audit trail cannot rewrite it: the owner owns the schema
/// and runs migrations; requests run as the request role, which owns nothing and holds only the
/// grants `TenantRoles.grants` gives it. The web process is a member of the request role only.
public struct TenantScope: Sendable, Hashable {
    public let schema: String
    /// Owns the schema and everything in it. Only migrations (as `kerb_admin`) switch into it.
    public let ownerRole: String
    /// What every request runs as: table rows only, append-only on `audit_events`, no DDL.
    public let requestRole: String

    public init(_ slug: Slug) {
        schema = slug.schemaName
        ownerRole = slug.ownerRoleName
        requestRole = slug.requestRoleName
    }

    private init(schema: String, ownerRole: String, requestRole: String) {
        self.schema = schema
        self.ownerRole = ownerRole
        self.requestRole = requestRole
    }

    /// Supplier operations' own accounts, sessions and audit trail: the same tables and code as a
    /// council's, in a schema no council route can name (council schemas are all `t_…`).
    public static let supplierOps = TenantScope(schema: "kerb_ops", ownerRole: "kerb_ops_owner", requestRole: "kerb_ops_request")
}

/// Quotes an identifier for DDL the way `quote_ident` does. Callers pass names derived from a
/// validated `Slug` or fixed names; the doubling of `"` is the second line of defence.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
