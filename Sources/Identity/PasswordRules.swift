import Foundation
import KerbCore

/// What makes a password acceptable (issue 3; NCSC and OWASP ASVS 2.1): long enough (12–128
/// characters, local policy may ask for more), not a known common or breached password, and no
/// composition rules. Length counts characters as people see them, so "café" is four.
public struct PasswordRules: Sendable {
    public static let maximumLength = 128
    public let minimumLength: Int
    let common: Set<String>

    /// Loads the bundled list of 30,000 common passwords once; share the value.
    public static func bundled(minimumLength: Int = 12) throws -> PasswordRules {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        let words = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0) }
        return PasswordRules(minimumLength: minimumLength, common: Set(words))
    }

    public init(minimumLength: Int, common: Set<String>) {
        self.minimumLength = minimumLength
        self.common = common
    }

    /// The same rules with the minimum from a council's local policy.
    public func with(minimumLength: Int) -> PasswordRules {
        PasswordRules(minimumLength: minimumLength, common: common)
    }

    /// Every problem with `password`, as messages for the `password` field; empty when acceptable.
    public func problems(with password: String) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        if password.count < minimumLength {
            issues.append(FieldIssue(field: "password", message: "Password must be \(minimumLength) characters or more"))
        }
        if password.count > Self.maximumLength {
            issues.append(FieldIssue(field: "password", message: "Password must be \(Self.maximumLength) characters or fewer"))
        }
        if isCommon(password) {
            issues.append(
                FieldIssue(
                    field: "password",
                    message: "This password is too common: it appears in lists of leaked passwords. Try three random words"))
        }
        return issues
    }

    /// A common password, also with digits or symbols tacked on the end ("password2024!!!!").
    func isCommon(_ password: String) -> Bool {
        let lowered = password.lowercased()
        if common.contains(lowered) { return true }
        // Any common word followed only by digits or symbols: "password2024!", "1234567890123".
        let characters = Array(lowered)
        var cut = characters.count
        while cut > 4, !characters[cut - 1].isLetter {
            cut -= 1
            if common.contains(String(characters[..<cut])) { return true }
        }
        // The same short word repeated ("qwertyqwerty") is no stronger than the word.
        for size in 1...max(1, lowered.count / 2) where lowered.count % size == 0 {
            let unit = lowered.prefix(size)
            if String(repeating: String(unit), count: lowered.count / size) == lowered, size < lowered.count {
                return true
            }
        }
        return false
    }
}
