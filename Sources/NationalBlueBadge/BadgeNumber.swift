/// National Blue Badge numbers.
///
/// The badge-management service draws numbers from a sequence that counts down from 63,999,999
/// and writes each in base 20 with the digits `0123456789ABCDEFGHJK` (no I, no padding, no check
/// character), so every number issued today is six characters. A number whose text contains a
/// blacklisted combination is skipped (DfT badge-management `blacklisted.combinations`).
public enum BadgeNumber {
    /// The base-20 digits, in order: 0–9, A–H, J, K.
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJK")

    /// The first value of the national sequence (`KKKKKK`); later numbers count down from it.
    public static let sequenceStart = 63_999_999

    /// Substrings the service never issues (compared case-insensitively).
    public static let blacklist: [String] = [
        "babe", "c4c4", "caca", "d34d", "dead", "f3c35", "f3ck", "f4ck", "fack", "feck", "h338", "h35h3", "h383", "hebe",
        "heeb", "j4d3", "jade", "kkk",
    ]

    /// Whether `text` is exactly six characters of the alphabet, in upper case.
    public static func isValid(_ text: String) -> Bool {
        text.count == 6 && text.allSatisfy { alphabet.contains($0) }
    }

    /// `value` in base 20 with no padding: `encode(1234) == "31E"`, `encode(63_999_999) == "KKKKKK"`.
    /// A negative value (a sequence run out) has no number: "".
    public static func encode(_ value: Int) -> String {
        guard value > 0 else { return value == 0 ? "0" : "" }
        var remaining = value
        var digits: [Character] = []
        while remaining > 0 {
            digits.append(alphabet[remaining % 20])
            remaining /= 20
        }
        return String(digits.reversed())
    }

    /// The value of a base-20 number, or `nil` if it has a character outside the alphabet
    /// (lower case included, as in the service's decoder).
    public static func decode(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for character in text {
            guard let digit = alphabet.firstIndex(of: character) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 20)
            guard !overflow else { return nil }
            value = shifted + digit
        }
        return value
    }

    /// Whether the service would refuse to issue `text` because it contains a blacklisted combination.
    public static func isBlacklisted(_ text: String) -> Bool {
        let lower = text.lowercased()
        return blacklist.contains { lower.contains($0) }
    }
}
