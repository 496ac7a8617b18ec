import Foundation
import KerbCore

/// What an officer enters about an applicant, checked before anything is stored.
public struct PersonDetails: Sendable, Equatable {
    public var fullName: String
    public var dateOfBirth: Date?
    public var nino: String
    public var addressLine1: String
    public var addressLine2: String
    public var town: String
    public var postcode: String
    public var email: String
    public var phone: String
    public var preferredChannel: String
    public var vulnerable: Bool
    /// An organisation (a care home, a transport charity) rather than a person: no date of birth
    /// or NI number, and no personal eligibility criterion.
    public var isOrganisation: Bool

    public init(
        fullName: String, dateOfBirth: Date?, nino: String = "", addressLine1: String, addressLine2: String = "", town: String = "",
        postcode: String, email: String = "", phone: String = "", preferredChannel: String = "letter", vulnerable: Bool = false,
        isOrganisation: Bool = false
    ) {
        self.isOrganisation = isOrganisation
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.nino = nino
        self.addressLine1 = addressLine1
        self.addressLine2 = addressLine2
        self.town = town
        self.postcode = postcode
        self.email = email
        self.phone = phone
        self.preferredChannel = preferredChannel
        self.vulnerable = vulnerable
    }

    /// Every problem, keyed by form field, after normalising postcode and NI number.
    public func problems(today: Date = Date()) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        if fullName.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.append(FieldIssue(field: "full-name", message: "Enter the applicant's full name"))
        }
        if isOrganisation {
            if dateOfBirth != nil { issues.append(FieldIssue(field: "date-of-birth", message: "An organisation has no date of birth")) }
            if !nino.trimmingCharacters(in: .whitespaces).isEmpty {
                issues.append(FieldIssue(field: "nino", message: "An organisation has no National Insurance number"))
            }
        } else if let dob = dateOfBirth, dob > today {
            issues.append(FieldIssue(field: "date-of-birth", message: "Date of birth must be in the past"))
        } else if dateOfBirth == nil {
            issues.append(FieldIssue(field: "date-of-birth", message: "Enter the applicant's date of birth"))
        }
        if !nino.trimmingCharacters(in: .whitespaces).isEmpty && UKFormats.nino(nino) == nil {
            issues.append(FieldIssue(field: "nino", message: "Enter a National Insurance number in the right format, like QQ 12 34 56 C"))
        }
        if addressLine1.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.append(FieldIssue(field: "address-line1", message: "Enter the first line of the address"))
        }
        if UKFormats.postcode(postcode) == nil {
            issues.append(FieldIssue(field: "postcode", message: "Enter a real postcode, like SW1A 1AA"))
        }
        if !["letter", "email", "sms"].contains(preferredChannel) {
            issues.append(FieldIssue(field: "preferred-channel", message: "Choose how the applicant prefers to be contacted"))
        } else if preferredChannel == "email" && !email.contains("@") {
            issues.append(FieldIssue(field: "email", message: "Enter an email address, or choose another way to contact them"))
        } else if preferredChannel == "sms" && phone.filter(\.isNumber).count < 10 {
            issues.append(FieldIssue(field: "phone", message: "Enter a mobile number, or choose another way to contact them"))
        }
        return issues
    }
}

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
