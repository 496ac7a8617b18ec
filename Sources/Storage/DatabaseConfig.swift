import NIOSSL

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
    /// How connections are encrypted; both clients (PostgresNIO and libpq) follow it.
    public var tlsMode: TLSMode
    /// PEM file of the CA that signed the server's certificate (libpq's `sslrootcert`).
    public var tlsRootCertificate: String?

    /// TLS to PostgreSQL, named as libpq names its `sslmode` values so that one setting means the
    /// same to both of Kerb's database clients.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP: only for a server that cannot do TLS at all.
        case disable
        /// TLS when the server offers it, the certificate unchecked (libpq's own default). The
        /// default here, so a server without TLS keeps working; production sets `verify-full`.
        case prefer
        /// TLS or no connection. The certificate is checked against `tlsRootCertificate` when one
        /// is given (libpq then acts as `verify-ca`), not at all otherwise.
        case require
        /// TLS, a certificate chained to `tlsRootCertificate`, and the host (name or IP address)
        /// named in it: the only mode that defeats an active attacker on the network.
        case verifyFull = "verify-full"
    }

    public init(
        host: String = "127.0.0.1", port: Int = 5432, database: String = "kerb",
        adminUser: String = "kerb_admin", adminPassword: String,
        appUser: String = "kerb_app", appPassword: String, maxConnections: Int = 16,
        tlsMode: TLSMode = .prefer, tlsRootCertificate: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.adminUser = adminUser
        self.adminPassword = adminPassword
        self.appUser = appUser
        self.appPassword = appPassword
        self.maxConnections = maxConnections
        self.tlsMode = tlsMode
        self.tlsRootCertificate = tlsRootCertificate
    }

    /// Reads `KERB_DB_HOST`, `KERB_DB_PORT`, `KERB_DB_NAME`, `KERB_DB_ADMIN_PASSWORD`,
    /// `KERB_DB_APP_PASSWORD` (and optional `KERB_DB_ADMIN_USER`, `KERB_DB_APP_USER`). A command
    /// needs only the password of the login it uses (`require(_:)` says which is missing), so
    /// operators' tools never need the web process's secret.
    ///
    /// TLS: `KERB_DB_SSLMODE` (`disable`, `prefer` (default), `require`, `verify-full`) and
    /// `KERB_DB_SSLROOTCERT` (the CA's PEM file, needed by `verify-full`). The CA file is read
    /// here, so a wrong path fails at start-up in one line rather than at the first connection.
    public static func fromEnvironment(_ env: [String: String]) throws(StorageError) -> DatabaseConfig {
        let portText = env["KERB_DB_PORT"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw StorageError.invalidSetting("KERB_DB_PORT must be a port number")
        }
        let modeText = env["KERB_DB_SSLMODE"].flatMap { $0.isEmpty ? nil : $0 } ?? TLSMode.prefer.rawValue
        guard let tlsMode = TLSMode(rawValue: modeText) else {
            let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw StorageError.invalidSetting("KERB_DB_SSLMODE must be one of \(modes)")
        }
        let rootCertificate = env["KERB_DB_SSLROOTCERT"].flatMap { $0.isEmpty ? nil : $0 }
        if tlsMode == .verifyFull && rootCertificate == nil {
            throw StorageError.invalidSetting("KERB_DB_SSLMODE=verify-full needs KERB_DB_SSLROOTCERT (the CA certificate file)")
        }
        if let rootCertificate, tlsMode != .disable { try checkCertificateFile(rootCertificate) }
        return DatabaseConfig(
            host: env["KERB_DB_HOST"] ?? "127.0.0.1", port: port, database: env["KERB_DB_NAME"] ?? "kerb",
            adminUser: env["KERB_DB_ADMIN_USER"] ?? "kerb_admin", adminPassword: env["KERB_DB_ADMIN_PASSWORD"] ?? "",
            appUser: env["KERB_DB_APP_USER"] ?? "kerb_app", appPassword: env["KERB_DB_APP_PASSWORD"] ?? "",
            maxConnections: Int(env["KERB_DB_MAX_CONNECTIONS"] ?? "") ?? 16,
            tlsMode: tlsMode, tlsRootCertificate: rootCertificate
        )
    }

    /// Fails unless `path` holds at least one PEM certificate. The path is not secret; the
    /// file's content is never quoted.
    private static func checkCertificateFile(_ path: String) throws(StorageError) {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw StorageError.invalidSetting("KERB_DB_SSLROOTCERT: no PEM certificate could be read from \(path)")
        }
        if certificates.isEmpty {
            throw StorageError.invalidSetting("KERB_DB_SSLROOTCERT: no PEM certificate could be read from \(path)")
        }
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
