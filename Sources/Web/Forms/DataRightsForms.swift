import Casework
import Foundation

/// The correction form's values (as typed, so a refused form comes back as it was sent).
struct ApplicantCorrectionForm: Decodable, Sendable {
    @Trimmed var fullName: String
    @Trimmed var dateOfBirth: String
    @Trimmed var nino: String
    @Trimmed var addressLine1: String
    @Trimmed var addressLine2: String
    @Trimmed var town: String
    @Trimmed var postcode: String
    @Trimmed var email: String
    @Trimmed var phone: String
    @Trimmed var reason: String

    enum CodingKeys: String, CodingKey {
        case fullName = "full-name", dateOfBirth = "date-of-birth", nino, addressLine1 = "address-line1"
        case addressLine2 = "address-line2", town, postcode, email, phone, reason = "rectify-reason"
    }

    init(_ details: PersonDetails) {
        _fullName = Trimmed(wrappedValue: details.fullName)
        _dateOfBirth = Trimmed(wrappedValue: details.dateOfBirth.map(Self.dayMonthYear) ?? "")
        _nino = Trimmed(wrappedValue: details.nino)
        _addressLine1 = Trimmed(wrappedValue: details.addressLine1)
        _addressLine2 = Trimmed(wrappedValue: details.addressLine2)
        _town = Trimmed(wrappedValue: details.town)
        _postcode = Trimmed(wrappedValue: details.postcode)
        _email = Trimmed(wrappedValue: details.email)
        _phone = Trimmed(wrappedValue: details.phone)
        _reason = Trimmed(wrappedValue: "")
    }

    var correction: ApplicantCorrection {
        ApplicantCorrection(
            fullName: fullName, dateOfBirth: IntakeForm.date(dateOfBirth), nino: nino, addressLine1: addressLine1,
            addressLine2: addressLine2, town: town, postcode: postcode, email: email, phone: phone)
    }

    static func dayMonthYear(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let parts = calendar.dateComponents([.day, .month, .year], from: date)
        return String(format: "%02d/%02d/%04d", parts.day ?? 1, parts.month ?? 1, parts.year ?? 1900)
    }
}

/// Erasing the applicant's record: why.
struct ErasureForm: Decodable, Sendable {
    @Trimmed var reason: String

    enum CodingKeys: String, CodingKey { case reason = "erase-reason" }
}
