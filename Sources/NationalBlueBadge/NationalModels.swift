import Foundation

// The national Blue Badge service's JSON, in its own camelCase names (DfT applications service
// and badge-management service, API v1). Dates stay as the strings the service exchanges, so
// nothing is lost or shifted by a time zone:
//   - calendar dates (dob, startDate, expiryDate, applicationDate, orderDate, issuedDate) are
//     `yyyy-MM-dd`;
//   - `submissionDate` is an ISO-8601 date-time in UTC, e.g. `2025-03-01T09:30:00Z`.
// `NationalDate` converts between those strings and Foundation values.

/// The national service's date formats, fixed to the Gregorian calendar.
public enum NationalDate {
    /// `yyyy-MM-dd` for a calendar day in the UK (Europe/London), e.g. a badge's start date.
    public static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return format(parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// An ISO-8601 UTC date-time such as `2025-03-01T09:30:00Z`, as `submissionDate` and the
    /// `from`/`to` search parameters use.
    public static func instant(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// Parses an ISO-8601 date-time with or without fractional seconds.
    public static func parseInstant(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    static func format(_ year: Int, _ month: Int, _ day: Int) -> String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// Whether `text` is a real `yyyy-MM-dd` day (no 31 February).
    public static func isDay(_ text: String) -> Bool {
        components(text) != nil
    }

    /// Year, month and day of a `yyyy-MM-dd` string, or `nil` if it is not a real day.
    static func components(_ text: String) -> (year: Int, month: Int, day: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        return (year, month, day)
    }

    /// `day` moved by whole years (29 February becomes 28 February), as `yyyy-MM-dd`.
    public static func adding(years: Int, to day: String) -> String? {
        guard let parts = components(day) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let date = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day)),
            let moved = calendar.date(byAdding: .year, value: years, to: date)
        else { return nil }
        let out = calendar.dateComponents([.year, .month, .day], from: moved)
        return format(out.year ?? 0, out.month ?? 0, out.day ?? 0)
    }
}

/// A citizen's or organisation's contact details, as both services exchange them. The services
/// require `fullName` only for an organisation, so it is optional here.
public struct NationalContact: Codable, Sendable, Equatable {
    /// Required for an organisation's order; optional for a person.
    public var fullName: String?
    public var buildingStreet: String
    public var line2: String?
    public var townCity: String
    public var postCode: String
    public var primaryPhoneNumber: String
    public var secondaryPhoneNumber: String?
    public var emailAddress: String?

    public init(
        fullName: String? = nil, buildingStreet: String, line2: String? = nil, townCity: String, postCode: String,
        primaryPhoneNumber: String, secondaryPhoneNumber: String? = nil, emailAddress: String? = nil
    ) {
        self.fullName = fullName
        self.buildingStreet = buildingStreet
        self.line2 = line2
        self.townCity = townCity
        self.postCode = postCode
        self.primaryPhoneNumber = primaryPhoneNumber
        self.secondaryPhoneNumber = secondaryPhoneNumber
        self.emailAddress = emailAddress
    }
}

/// The badge holder when the party is a person.
public struct NationalPerson: Codable, Sendable, Equatable {
    public var badgeHolderName: String
    public var nino: String?
    /// `yyyy-MM-dd`.
    public var dob: String
    /// Applications only.
    public var nameAtBirth: String?
    /// `MALE`, `FEMALE` or `UNSPECIFIE` (the reference data's 10-character code).
    public var genderCode: String

    public init(badgeHolderName: String, nino: String? = nil, dob: String, nameAtBirth: String? = nil, genderCode: String) {
        self.badgeHolderName = badgeHolderName
        self.nino = nino
        self.dob = dob
        self.nameAtBirth = nameAtBirth
        self.genderCode = genderCode
    }
}

/// The badge holder when the party is an organisation (read only: Kerb orders for people).
public struct NationalOrganisation: Codable, Sendable, Equatable {
    public var badgeHolderName: String
    public init(badgeHolderName: String) { self.badgeHolderName = badgeHolderName }
}

/// Who the badge is for: `typeCode` `PERSON` (with `person`) or `ORG` (with `organisation`).
public struct NationalParty: Codable, Sendable, Equatable {
    public var typeCode: String
    public var contact: NationalContact
    public var person: NationalPerson?
    public var organisation: NationalOrganisation?

    public init(
        typeCode: String = "PERSON", contact: NationalContact, person: NationalPerson? = nil, organisation: NationalOrganisation? = nil
    ) {
        self.typeCode = typeCode
        self.contact = contact
        self.person = person
        self.organisation = organisation
    }
}

/// The walking-difficulty part of an application's eligibility (codes per the DfT schema:
/// PAIN, BREATH, BALANCE, DANGER, STRUGGLE, SOMELSE, LONGTIME; time CANTWALK … FIVETEN; speed MSLOW … FAST).
public struct NationalWalkingDifficulty: Codable, Sendable, Equatable {
    public var typeCodes: [String]
    public var walkingLengthOfTimeCode: String?
    public var walkingSpeedCode: String?
    public var otherDescription: String?

    public init(
        typeCodes: [String], walkingLengthOfTimeCode: String? = nil, walkingSpeedCode: String? = nil, otherDescription: String? = nil
    ) {
        self.typeCodes = typeCodes
        self.walkingLengthOfTimeCode = walkingLengthOfTimeCode
        self.walkingSpeedCode = walkingSpeedCode
        self.otherDescription = otherDescription
    }
}

/// The eligibility an applicant claims: `typeCode` is one of PIP, DLA, AFRFCS, WPMS, BLIND,
/// WALKD, ARMS, CHILDBULK, CHILDVEHIC.
public struct NationalEligibility: Codable, Sendable, Equatable {
    public var typeCode: String
    public var descriptionOfConditions: String?
    public var walkingDifficulty: NationalWalkingDifficulty?

    public init(typeCode: String, descriptionOfConditions: String? = nil, walkingDifficulty: NationalWalkingDifficulty? = nil) {
        self.typeCode = typeCode
        self.descriptionOfConditions = descriptionOfConditions
        self.walkingDifficulty = walkingDifficulty
    }
}

/// A document the applicant uploaded: `type` PROOF_ELIG, SUPPORT_DOCS, PROOF_ADD, PROOF_ID or PHOTO.
public struct NationalArtifact: Codable, Sendable, Equatable {
    public var type: String
    public var link: String
    public init(type: String, link: String) {
        self.type = type
        self.link = link
    }
}

/// An application made through the national citizen service (`GET /applications/{id}`).
///
/// Only the parts Kerb uses are modelled; the service sends more (organisation vehicles, benefit,
/// walking aids, treatments …), which decoding ignores.
public struct NationalApplication: Codable, Sendable, Equatable {
    /// Assigned by the service; `nil` on a new submission.
    public var applicationId: UUID?
    /// NEW, RENEW, CANCEL or REPLACE.
    public var applicationTypeCode: String
    /// The council's short code, e.g. `BIRM`.
    public var localAuthorityCode: String
    public var paymentTaken: Bool
    public var paymentReference: String?
    /// ISO-8601 date-time in UTC (see ``NationalDate/instant(_:)``).
    public var submissionDate: String
    public var existingBadgeNumber: String?
    /// TODO, INPROGRESS or COMPLETED.
    public var applicationStatus: String?
    public var party: NationalParty
    public var eligibility: NationalEligibility?
    public var artifacts: [NationalArtifact]?

    public init(
        applicationId: UUID? = nil, applicationTypeCode: String, localAuthorityCode: String, paymentTaken: Bool,
        paymentReference: String? = nil, submissionDate: String, existingBadgeNumber: String? = nil,
        applicationStatus: String? = nil, party: NationalParty, eligibility: NationalEligibility? = nil,
        artifacts: [NationalArtifact]? = nil
    ) {
        self.applicationId = applicationId
        self.applicationTypeCode = applicationTypeCode
        self.localAuthorityCode = localAuthorityCode
        self.paymentTaken = paymentTaken
        self.paymentReference = paymentReference
        self.submissionDate = submissionDate
        self.existingBadgeNumber = existingBadgeNumber
        self.applicationStatus = applicationStatus
        self.party = party
        self.eligibility = eligibility
        self.artifacts = artifacts
    }
}

/// One row of an application search (`GET /applications`).
public struct ApplicationSummary: Codable, Sendable, Equatable {
    public var applicationId: UUID
    public var partyTypeCode: String
    public var applicationTypeCode: String
    public var nino: String?
    public var dob: String?
    public var name: String
    public var submissionDate: String
    public var eligibilityCode: String?
    public var applicationStatus: String?

    public init(
        applicationId: UUID, partyTypeCode: String, applicationTypeCode: String, nino: String? = nil, dob: String? = nil,
        name: String, submissionDate: String, eligibilityCode: String? = nil, applicationStatus: String? = nil
    ) {
        self.applicationId = applicationId
        self.partyTypeCode = partyTypeCode
        self.applicationTypeCode = applicationTypeCode
        self.nino = nino
        self.dob = dob
        self.name = name
        self.submissionDate = submissionDate
        self.eligibilityCode = eligibilityCode
        self.applicationStatus = applicationStatus
    }
}

/// The service's paging block: `total` rows, `count` on this page, `pages` in all.
public struct PagingInfo: Codable, Sendable, Equatable {
    public var total: Int
    public var count: Int
    public var pageSize: Int
    public var pageNum: Int
    public var pages: Int

    public init(total: Int, count: Int, pageSize: Int, pageNum: Int, pages: Int) {
        self.total = total
        self.count = count
        self.pageSize = pageSize
        self.pageNum = pageNum
        self.pages = pages
    }
}

/// One page of application search results.
public struct ApplicationPage: Codable, Sendable, Equatable {
    public var pagingInfo: PagingInfo
    public var data: [ApplicationSummary]
    public init(pagingInfo: PagingInfo, data: [ApplicationSummary]) {
        self.pagingInfo = pagingInfo
        self.data = data
    }
}

/// An order for a new badge (`POST /badges`, BadgeOrderRequest). Kerb orders one badge per
/// application, so `numberOfBadges` is 1; the party is a `PERSON`, or an `ORG` (no eligibility code,
/// a contact name required). Codes: channel PAPER, PHONE, INPERSON or
/// ONLINE; deliver to HOME or COUNCIL; delivery option STAND or FAST (never COUNCIL + FAST).
public struct BadgeOrder: Codable, Sendable, Equatable {
    public var party: NationalParty
    public var localAuthorityShortCode: String
    public var localAuthorityRef: String?
    /// `yyyy-MM-dd`, not in the future.
    public var applicationDate: String
    public var applicationChannelCode: String
    /// `yyyy-MM-dd`, today or later.
    public var startDate: String
    /// `yyyy-MM-dd`, on or after `startDate` and at most three years after it.
    public var expiryDate: String
    public var eligibilityCode: String
    public var deliverToCode: String
    public var deliveryOptionCode: String
    public var numberOfBadges: Int

    public init(
        party: NationalParty, localAuthorityShortCode: String, localAuthorityRef: String? = nil, applicationDate: String,
        applicationChannelCode: String, startDate: String, expiryDate: String, eligibilityCode: String,
        deliverToCode: String = "HOME", deliveryOptionCode: String = "STAND", numberOfBadges: Int = 1
    ) {
        self.party = party
        self.localAuthorityShortCode = localAuthorityShortCode
        self.localAuthorityRef = localAuthorityRef
        self.applicationDate = applicationDate
        self.applicationChannelCode = applicationChannelCode
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.eligibilityCode = eligibilityCode
        self.deliverToCode = deliverToCode
        self.deliveryOptionCode = deliveryOptionCode
        self.numberOfBadges = numberOfBadges
    }
}

/// A badge as the badge-management service holds it (`GET /badges/{badgeNumber}`).
/// `statusCode`: ORDERED, PROCESSED, ISSUED, REJECT, CANCELLED, REPLACED (DELETED badges are 404).
public struct NationalBadge: Codable, Sendable, Equatable {
    public var badgeNumber: String
    public var party: NationalParty
    public var localAuthorityShortCode: String
    public var localAuthorityRef: String?
    public var applicationDate: String?
    public var applicationChannelCode: String?
    public var orderDate: String?
    public var startDate: String
    public var expiryDate: String
    public var eligibilityCode: String?
    public var cancelReasonCode: String?
    public var replaceReasonCode: String?
    public var statusCode: String
    public var issuedDate: String?

    public init(
        badgeNumber: String, party: NationalParty, localAuthorityShortCode: String, localAuthorityRef: String? = nil,
        applicationDate: String? = nil, applicationChannelCode: String? = nil, orderDate: String? = nil, startDate: String,
        expiryDate: String, eligibilityCode: String? = nil, cancelReasonCode: String? = nil, replaceReasonCode: String? = nil,
        statusCode: String, issuedDate: String? = nil
    ) {
        self.badgeNumber = badgeNumber
        self.party = party
        self.localAuthorityShortCode = localAuthorityShortCode
        self.localAuthorityRef = localAuthorityRef
        self.applicationDate = applicationDate
        self.applicationChannelCode = applicationChannelCode
        self.orderDate = orderDate
        self.startDate = startDate
        self.expiryDate = expiryDate
        self.eligibilityCode = eligibilityCode
        self.cancelReasonCode = cancelReasonCode
        self.replaceReasonCode = replaceReasonCode
        self.statusCode = statusCode
        self.issuedDate = issuedDate
    }
}

/// The badge-management service's request bodies and the national service's common envelopes.
/// Public so the fake server speaks exactly the same JSON as the client.
public enum NationalWire {
    /// `{data: …}` around every successful response.
    public struct DataResponse<T: Codable & Sendable>: Codable, Sendable {
        public var data: T
        public init(data: T) { self.data = data }
    }

    /// `PUT /applications/{id}` body.
    public struct ApplicationStatusUpdate: Codable, Sendable {
        public var applicationStatus: String
        public init(applicationStatus: String) { self.applicationStatus = applicationStatus }
    }

    /// `POST /badges/{n}/cancellations` body.
    public struct CancelRequest: Codable, Sendable {
        public var badgeNumber: String
        public var cancelReasonCode: String
        public init(badgeNumber: String, cancelReasonCode: String) {
            self.badgeNumber = badgeNumber
            self.cancelReasonCode = cancelReasonCode
        }
    }

    /// `POST /badges/{n}/replacements` body.
    public struct ReplaceRequest: Codable, Sendable {
        public var badgeNumber: String
        public var replaceReasonCode: String
        public var deliverToCode: String
        public var deliveryOptionCode: String
        public init(badgeNumber: String, replaceReasonCode: String, deliverToCode: String, deliveryOptionCode: String) {
            self.badgeNumber = badgeNumber
            self.replaceReasonCode = replaceReasonCode
            self.deliverToCode = deliverToCode
            self.deliveryOptionCode = deliveryOptionCode
        }
    }

    /// The DfT error envelope `{error:{code, message, reason, errors:[{field, reason, message}]}}`.
    /// `message` is a message-property key such as `Invalid.badge.replace.badgeStatus`; `reason` is
    /// English text. Validation failures leave `message` empty and list one entry per field.
    public struct ErrorResponse: Codable, Sendable {
        public var error: ErrorBody
        public init(error: ErrorBody) { self.error = error }
    }

    public struct ErrorBody: Codable, Sendable {
        public var code: String?
        public var message: String?
        public var reason: String?
        public var errors: [FieldError]?
        public init(code: String? = nil, message: String? = nil, reason: String? = nil, errors: [FieldError]? = nil) {
            self.code = code
            self.message = message
            self.reason = reason
            self.errors = errors
        }
    }

    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String?
        public var reason: String?
        public var message: String?
        public init(field: String?, reason: String?, message: String?) {
            self.field = field
            self.reason = reason
            self.message = message
        }
    }
}
