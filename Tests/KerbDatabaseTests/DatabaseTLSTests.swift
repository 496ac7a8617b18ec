import Foundation
import KerbTestSupport
import Logging
import NIOPosix
import NIOSSL
import PostgresNIO
import Testing

@testable import Storage

/// Every connection Kerb makes to PostgreSQL is encrypted and checks whom it talks to: the
/// PostgresNIO pool, libpq admin sessions and the libpq read pipeline, all as `infra/test` sets
/// them up (verify-full against the test cluster's own CA; plain TCP is refused by pg_hba).
@Suite struct DatabaseTLSTests {
    static let logger = Logger(label: "test")

    @Test func theSuiteRunsWithVerifyFull() {
        #expect(TestDatabase.config.tlsMode == .verifyFull)
        #expect(TestDatabase.config.tlsRootCertificate != nil)
    }

    @Test func thePoolsConnectionsAreEncrypted() async throws {
        let client = PostgresClient(TestDatabase.config, login: .app, maxConnections: 2, logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let rows = try await client.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: Self.logger)
            let found = try await rows.decode((Bool, String?).self).all()
            #expect(found.count == 1 && found[0].0 == true)
            #expect(found.first?.1?.hasPrefix("TLSv1.") == true)
        }
    }

    @Test func adminSessionsAreEncrypted() async throws {
        let rows = try await TestDatabase.admin.session { session in
            try session.query("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        }
        #expect(rows == [["true"]])
    }

    @Test func theReadPipelinesConnectionsAreEncrypted() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let pipeline = TenantReadPipeline(config: TestDatabase.config, workers: 2, statements: ["SELECT pg_backend_pid()::text"])
        try pipeline.start()
        defer { pipeline.shutdown() }
        var pids: Set<Int32> = []
        for _ in 0..<8 {
            let rows = try await pipeline.fetch(pipeline.statement(0), in: tenant.scope)
            if let pid = rows.first?.first.flatMap({ $0 }).flatMap({ Int32($0) }) { pids.insert(pid) }
        }
        #expect(!pids.isEmpty)
        // A tenant role may not read another login's pg_stat_ssl row; the app login may read its own.
        let client = PostgresClient(TestDatabase.config, login: .app, maxConnections: 1, logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            for pid in pids {
                let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = \(pid)", logger: Self.logger)
                #expect(try await rows.decode(Bool.self).all() == [true])
            }
        }
    }

    // MARK: refusals

    /// A CA that signed nothing the server has: what an attacker's own certificate would chain to.
    static func unrelatedCA() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-tls-\(TestDatabase.uniqueToken())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificate = folder.appendingPathComponent("ca.crt").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-days", "1",
            "-subj", "/CN=Unrelated CA", "-keyout", folder.appendingPathComponent("ca.key").path, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl could not make a CA")
        return certificate
    }

    static func config(_ overrides: [String: String]) throws -> DatabaseConfig {
        try DatabaseConfig.fromEnvironment(ProcessInfo.processInfo.environment.merging(overrides) { $1 })
    }

    /// One PostgresNIO connection as the app login with `config`'s TLS, outside the pool (whose
    /// retries would hide the first error).
    static func connect(_ config: DatabaseConfig) async throws {
        let tls = try #require(config.tlsConfiguration)
        let configuration = PostgresConnection.Configuration(
            host: config.host, port: config.port, username: config.appUser, password: config.appPassword, database: config.database,
            tls: .require(try NIOSSLContext(configuration: tls)))
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger)
        try await connection.close()
    }

    @Test func verifyFullRefusesAServerThatTheCADidNotSign() async throws {
        let wrong = try Self.config(["KERB_DB_SSLROOTCERT": try Self.unrelatedCA()])
        #expect(wrong.tlsMode == .verifyFull)

        // PostgresNIO: the TLS handshake fails on the certificate, before any password is sent.
        let error = try await #require(throws: PSQLError.self) { try await Self.connect(wrong) }
        #expect(error.code == .connectionError)
        let tlsError = try #require(error.underlying as? NIOSSLError, "expected a TLS error, got \(String(describing: error.underlying))")
        guard case .handshakeFailed = tlsError else {
            Issue.record("expected a failed handshake, got \(tlsError)")
            return
        }

        // libpq: admin sessions and the read pipeline.
        let adminError = try await #require(throws: StorageError.self) {
            try await AdminDatabase(config: wrong, threads: TestDatabase.threads).session { _ in }
        }
        guard case .connectionFailed(let message) = adminError else {
            Issue.record("expected a connection failure, got \(adminError)")
            return
        }
        #expect(message.contains("certificate verify failed"))
        let pipeline = TenantReadPipeline(config: wrong, workers: 1, statements: ["SELECT 1"])
        #expect(throws: StorageError.self) { try pipeline.start() }

        // With the right CA the same connection succeeds (the refusal was the certificate's).
        try await Self.connect(TestDatabase.config)
    }

    @Test func plainTCPIsRefusedByTheServer() async throws {
        let plain = try Self.config(["KERB_DB_SSLMODE": "disable"])
        let error = try await #require(throws: StorageError.self) {
            try await AdminDatabase(config: plain, threads: TestDatabase.threads).session { _ in }
        }
        guard case .connectionFailed(let message) = error else {
            Issue.record("expected a connection failure, got \(error)")
            return
        }
        #expect(message.contains("no encryption"))
    }

    // MARK: settings

    @Test func badTLSSettingsAreRefusedInOneLine() throws {
        #expect(throws: StorageError.invalidSetting("KERB_DB_SSLMODE must be one of disable, prefer, require, verify-full")) {
            try Self.config(["KERB_DB_SSLMODE": "verify-ful"])
        }
        #expect(throws: StorageError.invalidSetting("KERB_DB_SSLMODE=verify-full needs KERB_DB_SSLROOTCERT (the CA certificate file)")) {
            try DatabaseConfig.fromEnvironment(["KERB_DB_SSLMODE": "verify-full"])
        }
        let missing = "/nonexistent/kerb-\(TestDatabase.uniqueToken()).crt"
        #expect(throws: StorageError.invalidSetting("KERB_DB_SSLROOTCERT: no PEM certificate could be read from \(missing)")) {
            try DatabaseConfig.fromEnvironment(["KERB_DB_SSLMODE": "verify-full", "KERB_DB_SSLROOTCERT": missing])
        }
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("kerb-not-pem-\(TestDatabase.uniqueToken())").path
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: notPEM))
        defer { try? FileManager.default.removeItem(atPath: notPEM) }
        #expect(throws: StorageError.self) {
            try DatabaseConfig.fromEnvironment(["KERB_DB_SSLMODE": "require", "KERB_DB_SSLROOTCERT": notPEM])
        }
        let error = StorageError.invalidSetting("KERB_DB_SSLMODE must be one of disable, prefer, require, verify-full")
        #expect(!error.description.contains("\n"))
    }

    @Test func withoutSettingsTLSIsPreferredAndBothClientsAgree() throws {
        let unset = try DatabaseConfig.fromEnvironment([:])
        #expect(unset.tlsMode == .prefer && unset.tlsRootCertificate == nil)
        #expect(unset.libpqTLSParameters.map(\.value) == ["prefer"])
        #expect(unset.tlsConfiguration?.certificateVerification == CertificateVerification.none)
        let disabled = try DatabaseConfig.fromEnvironment(["KERB_DB_SSLMODE": "disable"])
        #expect(disabled.tlsConfiguration == nil && disabled.libpqTLSParameters.map(\.value) == ["disable"])
        let full = TestDatabase.config
        #expect(full.libpqTLSParameters.map(\.key) == ["sslmode", "sslrootcert"])
        #expect(full.libpqTLSParameters.map(\.value) == ["verify-full", full.tlsRootCertificate])
        #expect(full.tlsConfiguration?.certificateVerification == .fullVerification)
    }
}
