import KerbCore

/// The PostgreSQL identity of one tenant: its schema and the role that owns it. Built only from a
/// validated `Slug`, which is what makes the names safe to quote into DDL and to pass to
/// `set_config('role' | 'search_path', …)`.
public struct TenantScope: Sendable, Hashable {
    public let slug: Slug
    public var schema: String { slug.schemaName }
    public var role: String { slug.roleName }

    public init(_ slug: Slug) { self.slug = slug }
}

/// Quotes an identifier for DDL the way `quote_ident` does. Callers pass names derived from a
/// validated `Slug` or fixed names; the doubling of `"` is the second line of defence.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
