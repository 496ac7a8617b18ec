import COath
import Crypto
import Foundation

/// RFC 6238 time-based one-time passwords through liboath: 30-second steps, 6 digits, one step of
/// clock drift either way. The only file that touches the C library. Replay protection needs the
/// matched step (`counter`): a code is accepted only if its step is later than the last one used,
/// which the caller stores per account.
public enum TOTP {
    public static let stepSeconds: UInt32 = 30
    public static let digits: UInt32 = 6
    /// Steps of drift accepted either side of now.
    public static let window = 1

    private static let initialised: Bool = oath_init() == OATH_OK.rawValue

    /// A new 160-bit shared secret (RFC 4226 recommends at least 128 bits).
    public static func newSecret() -> [UInt8] {
        SymmetricKey(size: .init(bitCount: 160)).withUnsafeBytes { Array($0) }
    }

    /// The code for `time`, for tests and for showing the next code in an enrolment check.
    public static func code(secret: [UInt8], at time: Date) -> String? {
        guard initialised else { return nil }
        var output = [CChar](repeating: 0, count: Int(digits) + 1)
        let status = secret.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                oath_totp_generate(
                    $0.baseAddress, secret.count, time_t(time.timeIntervalSince1970), UInt32(stepSeconds), 0, digits, &output)
            }
        }
        return status == OATH_OK.rawValue ? String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// The time step a valid `code` belongs to (within the drift window), or nil.
    public static func matchingStep(secret: [UInt8], code: String, at time: Date) -> Int64? {
        guard initialised, code.count == Int(digits), code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { return nil }
        var position: Int32 = 0
        let now = time_t(time.timeIntervalSince1970)
        let status = secret.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                oath_totp_validate2($0.baseAddress, secret.count, now, UInt32(stepSeconds), 0, window, &position, code)
            }
        }
        guard status >= 0 else { return nil }
        return Int64(now) / Int64(stepSeconds) + Int64(position)
    }

    /// An `otpauth://` URI for authenticator apps (shown as a QR code at enrolment).
    public static func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(.init(charactersIn: "-._~@"))
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: allowed) ?? account
        let issuerParam = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return
            "otpauth://totp/\(label)?secret=\(base32(secret))&issuer=\(issuerParam)&algorithm=SHA1&digits=\(digits)&period=\(stepSeconds)"
    }

    /// The secret as people type it into an app by hand: base32 in groups of four.
    public static func base32Grouped(_ secret: [UInt8]) -> String {
        var groups: [String] = []
        var current = ""
        for character in base32(secret) {
            current.append(character)
            if current.count == 4 {
                groups.append(current)
                current = ""
            }
        }
        if !current.isEmpty { groups.append(current) }
        return groups.joined(separator: " ")
    }

    /// The secret behind a base32 key as people type it (spaces, either case, no padding);
    /// nil for anything else. The inverse of `base32Grouped`.
    public static func secret(base32 text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bytes: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in text.uppercased() where character != " " {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5 | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return bytes.isEmpty ? nil : bytes
    }

    /// RFC 4648 base32 without padding, as authenticator apps expect.
    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }
}
