import NIOSSL
import PostgresNIO

/// One TLS setting (`DatabaseConfig.tlsMode`) turned into what each client takes: a NIOSSL
/// configuration for PostgresNIO and `sslmode`/`sslrootcert` for libpq. Kept side by side so
/// the two clients cannot drift apart.
extension DatabaseConfig {
    /// NIOSSL's client settings for `tlsMode`, or nil for `disable`. `verify-full` checks the
    /// chain against the configured CA and the host against the certificate's names: NIOSSL
    /// matches a host given as an IP address (the usual `127.0.0.1`) against IP SANs.
    public var tlsConfiguration: TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch tlsMode {
        case .disable:
            return nil
        case .prefer:
            tls.certificateVerification = .none
        case .require:
            tls.certificateVerification = tlsRootCertificate == nil ? .none : .noHostnameVerification
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        }
        if let tlsRootCertificate { tls.trustRoots = .file(tlsRootCertificate) }
        return tls
    }

    /// The pool's TLS mode: `prefer` falls back to plain TCP only when the server offers no TLS;
    /// `require` and `verify-full` never do.
    var postgresClientTLS: PostgresClient.Configuration.TLS {
        guard let tls = tlsConfiguration else { return .disable }
        return tlsMode == .prefer ? .prefer(tls) : .require(tls)
    }

    /// libpq's connection keywords for the same mode.
    var libpqTLSParameters: [(key: String, value: String)] {
        var parameters = [(key: "sslmode", value: tlsMode.rawValue)]
        if tlsMode != .disable, let tlsRootCertificate { parameters.append((key: "sslrootcert", value: tlsRootCertificate)) }
        return parameters
    }
}
