/// Where the database is and how each of Kerb's two login roles signs in. Secrets come only from
/// the environment (never flags, which `ps` shows) and are never printed.
public struct DatabaseConfig: Sendable {
    /// The two login roles created by `infra/db/bootstrap.sql`.
    public enum Login: String, Sendable {
        /// Owns the control plane, creates tenant roles and schemas, runs migrations.
        case admin
        /// The web process: owns nothing, reaches a tenant only by switching into its role.
        case app
    }

    public var host: String
    public var port: Int
    public var database: String
    public var adminUser: String
    public var adminPassword: String
    public var appUser: String
    public var appPassword: String
    /// Connections the web process may hold (PostgresNIO pool plus pipeline workers).
    public var maxConnections: Int

    public init(
        host: String = "127.0.0.1", port: Int = 5432, database: String = "kerb",
        adminUser: String = "kerb_admin", adminPassword: String,
        appUser: String = "kerb_app", appPassword: String, maxConnections: Int = 16
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.adminUser = adminUser
        self.adminPassword = adminPassword
        self.appUser = appUser
        self.appPassword = appPassword
        self.maxConnections = maxConnections
    }

    /// Reads `KERB_DB_HOST`, `KERB_DB_PORT`, `KERB_DB_NAME`, `KERB_DB_ADMIN_PASSWORD`,
    /// `KERB_DB_APP_PASSWORD` (and optional `KERB_DB_ADMIN_USER`, `KERB_DB_APP_USER`). A command
    /// needs only the password of the login it uses (`require(_:)` says which is missing), so
    /// operators' tools never need the web process's secret.
    public static func fromEnvironment(_ env: [String: String]) throws(StorageError) -> DatabaseConfig {
        let portText = env["KERB_DB_PORT"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw StorageError.invalidSetting("KERB_DB_PORT must be a port number")
        }
        return DatabaseConfig(
            host: env["KERB_DB_HOST"] ?? "127.0.0.1", port: port, database: env["KERB_DB_NAME"] ?? "kerb",
            adminUser: env["KERB_DB_ADMIN_USER"] ?? "kerb_admin", adminPassword: env["KERB_DB_ADMIN_PASSWORD"] ?? "",
            appUser: env["KERB_DB_APP_USER"] ?? "kerb_app", appPassword: env["KERB_DB_APP_PASSWORD"] ?? "",
            maxConnections: Int(env["KERB_DB_MAX_CONNECTIONS"] ?? "") ?? 16
        )
    }

    /// Fails with the name of the missing variable unless `login`'s password is set.
    public func require(_ login: Login) throws(StorageError) {
        if password(login).isEmpty {
            throw StorageError.missingSetting(login == .admin ? "KERB_DB_ADMIN_PASSWORD" : "KERB_DB_APP_PASSWORD")
        }
    }

    func username(_ login: Login) -> String { login == .admin ? adminUser : appUser }
    func password(_ login: Login) -> String { login == .admin ? adminPassword : appPassword }
}
