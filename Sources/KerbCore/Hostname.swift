/// A host name as a request names it: lower-case DNS labels of letters, digits and hyphens, each
/// 1–63 characters, at most 253 in all. The tenant directory looks up and caches only these, so a
/// hostile Host header (30 KB, control characters, a path) is refused before any query runs.
public struct Hostname: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public static let maxLength = 253

    /// Validates and lower-cases `raw` (no port, no trailing dot); nil if it is not a host name.
    public init?(_ raw: some StringProtocol) {
        let bytes = Array(raw.utf8)
        guard (1...Self.maxLength).contains(bytes.count) else { return nil }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(bytes.count)
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
                labelLength = 0
            case UInt8(ascii: "-"):
                guard labelLength > 0 else { return nil }
                labelLength += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                labelLength += 1
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                labelLength += 1
            default:
                return nil
            }
            guard labelLength <= 63 else { return nil }
            lowered.append((UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte)
            previous = byte
        }
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
        rawValue = String(decoding: lowered, as: UTF8.self)
    }

    /// An authority (`host` or `host:port`) from a Host header; nil unless the host is valid and
    /// the port, if any, is a number. IPv6 literals are not host names (never a council).
    public init?(authority: some StringProtocol) {
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard (1...5).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                let port = Int(parts[1]), port <= 65535
            else { return nil }
        }
        guard let host = parts.first, let name = Hostname(host) else { return nil }
        self = name
    }

    /// All labels numeric: an IPv4 address, never a council's name.
    public var isIPv4: Bool { rawValue.split(separator: ".").allSatisfy { $0.allSatisfy { $0 >= "0" && $0 <= "9" } } }

    public var description: String { rawValue }
}
