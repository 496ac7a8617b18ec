/// A tenant's stable slug: a DNS label (it becomes `<slug>.<base domain>`) from which the schema
/// and role names are derived. Validation here is what makes those identifiers safe to quote into
/// DDL, so every path that builds a schema or role name must go through this type.
public struct Slug: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Maximum length keeps derived identifiers (`kerb_t_<slug>`, `kerb_r_<slug>`) well under PostgreSQL's 63 bytes.
    public static let maxLength = 40

    public init?(_ raw: String) {
        guard Slug.isValid(raw) else { return nil }
        rawValue = raw
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let slug = Slug(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid slug"))
        }
        self = slug
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, at most 40 characters: ASCII only, no leading, trailing or
    /// doubled hyphens.
    public static func isValid(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        guard (1...maxLength).contains(bytes.count), let first = bytes.first, isLower(first) else { return false }
        var previousHyphen = false
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                if previousHyphen { return false }
                previousHyphen = true
            } else if isLower(byte) || isDigit(byte) {
                previousHyphen = false
            } else {
                return false
            }
        }
        return !previousHyphen
    }

    /// The tenant's PostgreSQL schema, `t_<slug with _ for ->`.
    public var schemaName: String { "t_" + rawValue.replacingHyphens() }
    /// The role that owns the tenant's schema and nothing else; only migrations run as it.
    public var ownerRoleName: String { "kerb_t_" + rawValue.replacingHyphens() }
    /// The role the tenant's requests run as: it owns nothing and holds only the grants requests
    /// need, so a request cannot alter, drop or truncate what the owner made.
    public var requestRoleName: String { "kerb_r_" + rawValue.replacingHyphens() }

    public var description: String { rawValue }
    public static func < (lhs: Slug, rhs: Slug) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

extension String {
    fileprivate func replacingHyphens() -> String {
        String(decoding: utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }
}
