import Foundation
import JWTKit

/// A GOV.UK Notify API key as Notify issues it: `{key name}-{service id}-{secret}`, the service
/// id and the secret each a UUID. Notify's own clients take the last 73 characters the same way.
///
/// The secret never leaves this value except as the HMAC key of a token: it is not in
/// `description`, so a key logged or interpolated by mistake shows only its service.
public struct NotifyAPIKey: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let serviceID: String
    let secret: String

    /// Reads a key; nil if it is not in Notify's format (the reason is not given: the text is secret).
    public init?(_ text: String) {
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.count >= 75, key.count <= 400, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        let secret = String(key.suffix(36))
        let service = String(key.dropLast(37).suffix(36))
        let separators = (key.dropLast(36).last, key.dropLast(73).last)
        guard separators == ("-", "-"), Self.isUUIDText(secret), Self.isUUIDText(service) else { return nil }
        self.name = String(key.dropLast(74))
        self.serviceID = service.lowercased()
        self.secret = secret
    }

    /// 8-4-4-4-12 hexadecimal digits (Foundation's parser is more forgiving than Notify's).
    static func isUUIDText(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return false }
        return utf8.enumerated().allSatisfy { index, byte in
            [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : (byte < 128 && Character(Unicode.Scalar(byte)).isHexDigit)
        }
    }

    public var description: String { "Notify key \(name) for service \(serviceID)" }

    /// The key in Notify's format (for writing a secrets file in the demo and tests).
    public var text: String { "\(name)-\(serviceID)-\(secret)" }

    /// A fresh token for one request: HS256 over `{"iss": service id, "iat": now}`, as Notify
    /// requires (it refuses tokens more than 30 seconds from its clock).
    public func token(now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(NotifyClaims(iss: IssuerClaim(value: serviceID), iat: IssuedAtClaim(value: now)), header: ["typ": "JWT"])
    }
}

/// The claims of a Notify token.
public struct NotifyClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim

    public init(iss: IssuerClaim, iat: IssuedAtClaim) {
        self.iss = iss
        self.iat = iat
    }

    /// Notify checks the time itself (within 30 seconds either way); see `NotifyTokenCheck`.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// How Notify checks a request's token, shared by the contract fake: the issuer names a service,
/// the signature is that service's secret, and the issue time is within 30 seconds of now.
public enum NotifyTokenCheck {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missing, malformed, unknownService, badSignature, clockSkew

        /// Notify's own wording for each refusal (403 AuthError).
        public var description: String {
            switch self {
            case .missing: "Unauthorized: authentication token must be provided"
            case .malformed: "Invalid token: signature, api token is not valid"
            case .unknownService: "Invalid token: service not found"
            case .badSignature: "Invalid token: API key not found"
            case .clockSkew: "Error: Your system clock must be accurate to within 30 seconds"
            }
        }
    }

    /// The service id the token is for, read without checking its signature (to find the key to check it with).
    public static func issuer(of token: String) async -> String? {
        try? await JWTKeyCollection().unverified(token, as: NotifyClaims.self).iss.value
    }

    /// Checks `token` against the service's secrets (any of its keys); throws Notify's reason.
    public static func verify(_ token: String, secrets: [String], now: Date) async throws(Failure) -> NotifyClaims {
        for secret in secrets {
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            guard let claims = try? await keys.verify(token, as: NotifyClaims.self) else { continue }
            guard abs(claims.iat.value.timeIntervalSince(now)) <= 30 else { throw .clockSkew }
            return claims
        }
        throw .badSignature
    }
}

extension NotifyAPIKey {
    /// The secrets a fake service accepts for this key.
    public var secretForVerification: String { secret }

    /// A new key for a service (the demo's and tests' fake Notify services).
    public static func make(name: String, serviceID: UUID = UUID(), secret: UUID = UUID()) -> NotifyAPIKey {
        NotifyAPIKey(name: name, serviceID: serviceID.uuidString.lowercased(), secret: secret.uuidString.lowercased())
    }

    init(name: String, serviceID: String, secret: String) {
        self.name = name
        self.serviceID = serviceID
        self.secret = secret
    }
}
