import KerbCore

/// The PostgreSQL identity of one tenant: its schema and the role that owns it. Built only from a
/// validated `Slug`, which is what makes the names safe to quote into DDL and to pass to
/// `set_config('role' | 'search_path', …)`.
public struct TenantScope: Sendable, Hashable {
    public let schema: String
    public let role: String

    public init(_ slug: Slug) {
        schema = slug.schemaName
        role = slug.roleName
    }

    private init(schema: String, role: String) {
        self.schema = schema
        self.role = role
    }

    /// Supplier operations' own accounts, sessions and audit trail: the same tables and code as a
    /// council's, in a schema no council route can name (council schemas are all `t_…`).
    public static let supplierOps = TenantScope(schema: "kerb_ops", role: "kerb_ops_owner")
}

/// Quotes an identifier for DDL the way `quote_ident` does. Callers pass names derived from a
/// validated `Slug` or fixed names; the doubling of `"` is the second line of defence.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
