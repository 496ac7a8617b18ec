/// The SQL behind a tenant's two roles (see `TenantScope`): creating them, giving the request
/// role its grants, converting a tenant made before the split, and dropping both.
///
/// Every name comes from a `TenantScope` (a validated slug or a fixed name) and is quoted again
/// with `quoteIdentifier`, so nothing here can carry injected SQL.
enum TenantRoles {
    /// Creates both roles and the schema, owned by the owner role. `kerb_admin` joins both (to run
    /// migrations as the owner and seed data as the request role); the web process joins only the
    /// request role, so it can never switch into the owner. Runs as `kerb_admin`.
    static func create(_ scope: TenantScope, appUser: String) -> String {
        let owner = quoteIdentifier(scope.ownerRole)
        let request = quoteIdentifier(scope.requestRole)
        return """
            CREATE ROLE \(owner) NOLOGIN NOINHERIT;
            CREATE ROLE \(request) NOLOGIN NOINHERIT;
            GRANT \(owner) TO CURRENT_USER;
            GRANT \(request) TO CURRENT_USER;
            GRANT \(request) TO \(quoteIdentifier(appUser));
            CREATE SCHEMA \(quoteIdentifier(scope.schema)) AUTHORIZATION \(owner);
            """
    }

    /// Gives the request role exactly what requests need, and nothing it had before: rows of every
    /// table (only INSERT and SELECT on `audit_events`), USAGE on sequences (`nextval`, not
    /// `setval`), EXECUTE on functions. Default privileges cover tables later migrations create;
    /// the migrator still runs this after every tenant migration, so a migration that forgets
    /// cannot widen the audit trail's (or the record views') grants. Runs as the owner (grants come from the owner).
    static func grants(_ scope: TenantScope) -> String {
        let schema = quoteIdentifier(scope.schema)
        let request = quoteIdentifier(scope.requestRole)
        return """
            GRANT USAGE ON SCHEMA \(schema) TO \(request);
            REVOKE ALL ON ALL TABLES IN SCHEMA \(schema) FROM \(request);
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(schema) TO \(request);
            DO $kerb_grants$ BEGIN
                IF to_regclass('\(schema).audit_events') IS NOT NULL THEN
                    REVOKE UPDATE, DELETE ON \(schema).audit_events FROM \(request);
                END IF;
                IF to_regclass('\(schema).record_views') IS NOT NULL THEN
                    REVOKE UPDATE, DELETE ON \(schema).record_views FROM \(request);
                END IF;
            END $kerb_grants$;
            REVOKE ALL ON ALL SEQUENCES IN SCHEMA \(schema) FROM \(request);
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA \(schema) TO \(request);
            GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA \(schema) TO \(request);
            ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \(request);
            ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) GRANT USAGE ON SEQUENCES TO \(request);
            ALTER DEFAULT PRIVILEGES IN SCHEMA \(schema) GRANT EXECUTE ON FUNCTIONS TO \(request);
            """
    }

    /// Who is a member of which Kerb role, read in one query, so `kerb migrate` can tell which of
    /// thousands of tenants still need the split without a round trip per tenant.
    struct Census {
        var roles: Set<String> = []
        var appMemberOf: Set<String> = []
        var adminMemberOf: Set<String> = []

        /// Split: the request role exists, both login roles may switch into it, and the web
        /// process may no longer switch into the owner.
        func isSplit(_ scope: TenantScope) -> Bool {
            roles.contains(scope.requestRole) && appMemberOf.contains(scope.requestRole)
                && adminMemberOf.contains(scope.requestRole) && !appMemberOf.contains(scope.ownerRole)
        }
    }

    static func census(_ conn: PQConnection, appUser: String) throws(StorageError) -> Census {
        var census = Census()
        for row in try conn.query(
            """
            SELECT r.rolname,
                   EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles a ON a.oid = m.member
                           WHERE m.roleid = r.oid AND a.rolname = $1),
                   EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles a ON a.oid = m.member
                           WHERE m.roleid = r.oid AND a.rolname = session_user)
            FROM pg_roles r WHERE r.rolname LIKE 'kerb\\_%'
            """, [appUser])
        {
            guard let name = row[0] else { continue }
            census.roles.insert(name)
            if row[1] == "t" { census.appMemberOf.insert(name) }
            if row[2] == "t" { census.adminMemberOf.insert(name) }
        }
        return census
    }

    /// Converts a tenant made before the split, in one transaction of its own: creates the
    /// request role if missing, moves the web process from the owner to it, and grants it as
    /// the owner. Only the steps the census says are missing are in the script, so a re-run after
    /// a partial failure neither fails nor warns. Runs as `kerb_admin`.
    static func split(_ scope: TenantScope, appUser: String, census: Census, on conn: PQConnection) throws(StorageError) -> String {
        let owner = quoteIdentifier(scope.ownerRole)
        let request = quoteIdentifier(scope.requestRole)
        let app = quoteIdentifier(appUser)
        var steps = ["BEGIN;"]
        if !census.roles.contains(scope.requestRole) { steps.append("CREATE ROLE \(request) NOLOGIN NOINHERIT;") }
        if !census.adminMemberOf.contains(scope.requestRole) { steps.append("GRANT \(request) TO CURRENT_USER;") }
        if !census.appMemberOf.contains(scope.requestRole) { steps.append("GRANT \(request) TO \(app);") }
        if census.appMemberOf.contains(scope.ownerRole) { steps.append("REVOKE \(owner) FROM \(app);") }
        steps.append(try enterOwner(scope, on: conn))
        steps.append(grants(scope))
        steps.append("SELECT set_config('role', 'none', true), set_config('search_path', 'kerb_control', true);")
        steps.append("COMMIT;")
        return steps.joined(separator: "\n")
    }

    /// Drops the schema (as its owner: `kerb_admin` does not inherit ownership) and both roles.
    static func drop(_ scope: TenantScope, on conn: PQConnection) throws(StorageError) -> String {
        """
        \(try enterOwner(scope, on: conn))
        DROP SCHEMA IF EXISTS \(quoteIdentifier(scope.schema)) CASCADE;
        SELECT set_config('role', 'none', true), set_config('search_path', 'kerb_control', true);
        DROP ROLE IF EXISTS \(quoteIdentifier(scope.requestRole));
        DROP ROLE IF EXISTS \(quoteIdentifier(scope.ownerRole));
        """
    }

    /// The transaction-local switch into the owner, as a script line (values as literals).
    static func enterOwner(_ scope: TenantScope, on conn: PQConnection) throws(StorageError) -> String {
        "SELECT set_config('role', \(try conn.literal(scope.ownerRole)), true), set_config('search_path', \(try conn.literal(scope.schema)), true);"
    }
}
