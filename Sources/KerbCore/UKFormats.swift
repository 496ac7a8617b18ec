import Foundation

/// UK postcodes and National Insurance numbers, normalised for storage and search.
public enum UKFormats {
    /// Upper case with one space before the inward code, or nil if it is not a UK postcode
    /// (the GOV.UK pattern: outward code, digit, two letters; GIR 0AA included).
    public static func postcode(_ text: String) -> String? {
        let compact = text.uppercased().filter { !$0.isWhitespace }
        guard (5...7).contains(compact.count) else { return nil }
        let outward = String(compact.dropLast(3))
        let inward = String(compact.suffix(3))
        let inwardOK = inward.first?.isNumber == true && inward.dropFirst().allSatisfy { $0.isLetter && !"CIKMOV".contains($0) }
        let outwardOK =
            outward == "GIR"
            || outward.range(
                of: #"^[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])$"#,
                options: .regularExpression)
                != nil
        return inwardOK && outwardOK ? "\(outward) \(inward)" : nil
    }

    /// Two letters, six digits, a letter A–D, without spaces; nil for formats HMRC never issues
    /// (first letter D, F, I, Q, U or V; second D, F, I, O, Q, U or V; prefixes BG, GB, KN, NK, NT, TN, ZZ).
    public static func nino(_ text: String) -> String? {
        let compact = text.uppercased().filter { !$0.isWhitespace }
        guard compact.range(of: #"^[A-Z]{2}[0-9]{6}[A-D]$"#, options: .regularExpression) != nil else { return nil }
        let letters = Array(compact.prefix(2))
        guard letters.count == 2 else { return nil }
        let (first, second) = (letters[0], letters[1])
        guard !"DFIQUV".contains(first), !"DFIOQUV".contains(second) else { return nil }
        guard !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(String(compact.prefix(2))) else { return nil }
        return compact
    }
}
