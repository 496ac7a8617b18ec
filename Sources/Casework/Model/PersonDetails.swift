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
