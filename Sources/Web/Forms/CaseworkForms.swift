import Casework
import Foundation
import Identity
import KerbCore

// The forms of the case pages, each decoded from its post by `PageFormDecoder`. Field names are
// the `CodingKeys` here and the `FormField`s that render them.

/// `/cases/new`: an applicant and their application in one form.
struct IntakeForm: Decodable, Sendable {
    enum ApplicantKind: String, Decodable, Sendable { case person, organisation }

    @Choice var applicantKind: ApplicantKind?
    @Trimmed var fullName: String
    @Trimmed var dateOfBirth: String
    @Trimmed var nino: String
    @Trimmed var addressLine1: String
    @Trimmed var addressLine2: String
    @Trimmed var town: String
    @Trimmed var postcode: String
    @Trimmed var email: String
    @Trimmed var phone: String
    @Trimmed var preferredChannel: String
    @Ticked var vulnerable: Bool
    @Choice var kind: ApplicationKind?
    @Choice var replaceReason: ReplacementReason?
    @Trimmed var existingBadge: String
    @Choice var channel: Channel?
    @Choice var eligibility: Eligibility?
    @Ticked var draft: Bool
    /// Ticked after the page listed people who may already be on record.
    @Ticked var confirmNew: Bool

    enum CodingKeys: String, CodingKey {
        case applicantKind = "applicant-kind", fullName = "full-name", dateOfBirth = "date-of-birth", nino
        case addressLine1 = "address-line1", addressLine2 = "address-line2", town, postcode, email, phone
        case preferredChannel = "preferred-channel", vulnerable, kind, replaceReason = "replace-reason"
        case existingBadge = "existing-badge", channel, eligibility, draft, confirmNew = "confirm-new"
    }

    var isOrganisation: Bool { applicantKind == .organisation }

    var person: PersonDetails {
        PersonDetails(
            fullName: fullName, dateOfBirth: Self.date(dateOfBirth), nino: nino, addressLine1: addressLine1, addressLine2: addressLine2,
            town: town, postcode: postcode, email: email, phone: phone, preferredChannel: preferredChannel, vulnerable: vulnerable,
            isOrganisation: isOrganisation)
    }

    func application(team: String?) -> CaseService.NewApplication {
        CaseService.NewApplication(
            personID: UUID(), kind: kind ?? .new, replaceReason: replaceReason, channel: channel ?? .paper, eligibility: eligibility,
            existingBadge: existingBadge, draft: draft, forOrganisation: isOrganisation, team: team)
    }

    /// A date as people type it: `27/03/1961`, `27-3-1961`, `1961-03-27`; nil if it is not one
    /// (the use case then names the field).
    static func date(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "-" || $0 == " " || $0 == "." }).compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        let (day, month, year) = parts[0] > 31 ? (parts[2], parts[1], parts[0]) : (parts[0], parts[1], parts[2])
        guard year > 1900, let utc = TimeZone(identifier: "UTC") else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }
}

/// The assessment on the case page.
struct AssessmentForm: Decodable, Sendable {
    @Trimmed var findings: String
}

/// Approve or refuse, with the refusal's reasons ticked from the statutory list.
struct DecisionForm: Decodable, Sendable {
    @Choice var outcome: CaseService.Outcome?
    var reasons: [RefusalReason]?
    @Trimmed var rationale: String
}

/// A note on the case.
struct NoteForm: Decodable, Sendable {
    @Trimmed var note: String
}

/// The decision on an open review.
struct ReviewDecisionForm: Decodable, Sendable {
    enum Outcome: String, Decodable, Sendable { case upheld = "UPHELD", overturned = "OVERTURNED" }

    @Choice var reviewOutcome: Outcome?
    @Trimmed var reviewRationale: String

    enum CodingKeys: String, CodingKey { case reviewOutcome = "review-outcome", reviewRationale = "review-rationale" }
}

/// Evidence asked for (the outstanding items ticked by position, plus one typed) or received
/// (the items waiting, ticked by position).
struct EvidenceForm: Decodable, Sendable {
    var items: [Int]?
    @Trimmed var other: String

    /// The kinds of the ticked items among `listed`, in the order the page showed them.
    func ticked(_ listed: [CaseFile.Evidence]) -> [String] {
        let chosen = Set(items ?? [])
        return listed.enumerated().filter { chosen.contains($0.offset) }.map(\.element.kind)
    }
}

/// Assigning the case to a colleague or a team.
struct AssignmentForm: Decodable, Sendable {
    @Trimmed var user: String
    @Trimmed var team: String

    enum CodingKeys: String, CodingKey { case user = "assign-user", team = "assign-team" }
}

/// Someone acting for the applicant, and what they may do.
struct RepresentativeForm: Decodable, Sendable {
    @Trimmed var name: String
    @Choice var relationship: Representative.Relationship?
    @Ticked var mayApply: Bool
    @Ticked var mayReceive: Bool
    @Ticked var mayDiscuss: Bool
    @Trimmed var contact: String

    enum CodingKeys: String, CodingKey {
        case name = "rep-name", relationship = "rep-relationship", mayApply = "rep-may-apply", mayReceive = "rep-may-receive"
        case mayDiscuss = "rep-may-discuss", contact = "rep-contact"
    }
}

/// Ordering the badge: its dates (ISO, as the date inputs send them) and where it goes.
struct BadgeOrderForm: Decodable, Sendable {
    @Trimmed var start: String
    @Trimmed var expiry: String
    @Choice var deliverTo: DeliverTo?
    @Choice var deliveryOption: DeliveryOption?

    enum CodingKeys: String, CodingKey { case start, expiry, deliverTo = "deliver-to", deliveryOption = "delivery-option" }

    /// Both dates, or the fields that are not dates.
    func dates() throws(CaseworkError) -> (start: Day, expiry: Day) {
        let (start, expiry) = (Day(iso: start), Day(iso: expiry))
        var issues: [FieldIssue] = []
        if start == nil { issues.append(FieldIssue(field: "start", message: "Enter the start date as YYYY-MM-DD")) }
        if expiry == nil { issues.append(FieldIssue(field: "expiry", message: "Enter the expiry date as YYYY-MM-DD")) }
        guard let start, let expiry else { throw .invalid(issues) }
        return (start, expiry)
    }
}

/// Why a badge is cancelled.
struct CancellationForm: Decodable, Sendable {
    @Choice var reason: CancelReason?
}
