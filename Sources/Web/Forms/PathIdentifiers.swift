/// Identifiers in page paths, checked for their shape by `parameters.require(_:as:)` before
/// anything looks them up: a malformed one is a 400, and a well-formed one that is missing, or
/// another team's or council's, is the same "no such record" from the use case.

/// A case or enforcement reference (`BB-2026-000042`, `EN-2026-000007`; imported cases keep
/// their old council's): 1 to 32 ASCII letters, digits, hyphens and slashes.
struct RecordReference: LosslessStringConvertible, Sendable {
    let description: String

    init?(_ description: String) {
        guard (1...32).contains(description.utf8.count),
            description.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "/") || Self.isAlphanumeric($0) })
        else { return nil }
        self.description = description
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }
}

/// A badge number: the national six characters, or up to eight letters and digits for a
/// council's older series.
struct BadgeNumberInPath: LosslessStringConvertible, Sendable {
    let description: String

    init?(_ description: String) {
        guard (1...8).contains(description.utf8.count), description.utf8.allSatisfy(RecordReference.isAlphanumeric) else { return nil }
        self.description = description
    }
}
