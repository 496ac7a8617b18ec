import Casework
import Enforcement
import Foundation
import Identity
import KerbAPI
import KerbCore
import NationalBlueBadge

/// Between the generated wire types and the domain's. The document spells every enum as the
/// domain's raw values (`WireEnumTests` holds each case to it), so values cross by raw value.
enum WireValue {
    /// The domain's value of a generated enum, or 422 for one the domain does not know.
    static func domain<Wire: RawRepresentable, Value: RawRepresentable>(_ wire: Wire, as: Value.Type = Value.self) throws -> Value
    where Wire.RawValue == String, Value.RawValue == String {
        guard let value = Value(rawValue: wire.rawValue) else {
            throw APIBodyError.invalid(FieldIssue(field: "body", message: "\(wire.rawValue) is not a value Kerb takes here"))
        }
        return value
    }

    /// The generated enum's value of a domain one. A domain value the document does not list is
    /// Kerb's mistake, not the client's: an internal error, never a made-up answer.
    static func wire<Value: RawRepresentable, Wire: RawRepresentable>(_ value: Value, as: Wire.Type = Wire.self) throws -> Wire
    where Wire.RawValue == String, Value.RawValue == String {
        guard let wire = Wire(rawValue: value.rawValue) else { throw WireMismatch(value: value.rawValue) }
        return wire
    }

    /// A calendar day in ISO form (`2026-12-01`), or 422 naming the field.
    static func day(_ text: String, field: String) throws -> Day {
        guard let day = Day(iso: text) else { throw APIBodyError.invalid(FieldIssue(field: field, message: "\(field) is YYYY-MM-DD")) }
        return day
    }

    /// A case or enforcement reference as the path carries it (`BB-2026-000042`): anything
    /// longer than a reference can be is no such record, before it reaches the database.
    static func reference(_ text: String, missing: some Error) throws -> String {
        guard text.utf8.count <= 32 else { throw missing }
        return text
    }

    /// A badge number as the path carries it: six characters in the national format, else no
    /// such badge (the document's pattern, which the generated code does not check).
    static func badgeNumber(_ text: String) throws -> String {
        guard BadgeNumber.isValid(text.uppercased()) else {
            throw CaseworkError.noSuchBadge
        }
        return text
    }
}

/// A domain value the API document does not list.
struct WireMismatch: Error, CustomStringConvertible {
    let value: String
    var description: String { "\(value) is not in the API document" }
}

extension Components.Schemas.NewApplication {
    /// The person and the application this body takes in.
    func intake(team: String?) throws -> (PersonDetails, CaseService.NewApplication) {
        let dateOfBirth = try applicant.dateOfBirth.map { try WireValue.day($0, field: "applicant.dateOfBirth").utcMidnight }
        let organisation = applicant.organisation ?? false
        let details = PersonDetails(
            fullName: applicant.fullName, dateOfBirth: dateOfBirth, nino: applicant.nino ?? "", addressLine1: applicant.addressLine1,
            addressLine2: applicant.addressLine2 ?? "", town: applicant.town ?? "", postcode: applicant.postcode,
            email: applicant.email ?? "", phone: applicant.phone ?? "", preferredChannel: applicant.preferredChannel?.rawValue ?? "letter",
            vulnerable: applicant.vulnerable ?? false, isOrganisation: organisation)
        let application = CaseService.NewApplication(
            personID: UUID(), kind: try WireValue.domain(kind), replaceReason: try replaceReason.map { try WireValue.domain($0) },
            channel: try WireValue.domain(channel), eligibility: try eligibility.map { try WireValue.domain($0) },
            existingBadge: existingBadge, draft: draft ?? false, forOrganisation: organisation, team: team)
        return (details, application)
    }
}

extension Components.Schemas.Summary {
    init(_ row: CaseSummary) throws {
        self.init(
            reference: row.reference, applicant: row.applicantName, kind: try WireValue.wire(row.kind),
            eligibility: try row.eligibility.map { try WireValue.wire($0) }, status: try WireValue.wire(row.status),
            receivedAt: row.receivedAt, assignedTo: row.assignedName, team: row.team, daysOnClock: row.elapsedDays)
    }
}

extension Components.Schemas.Application {
    init(_ file: CaseFile, reference: String, now: Date) throws {
        self.init(
            reference: reference, status: try WireValue.wire(file.row.status), kind: try WireValue.wire(file.kind),
            replaceReason: try file.replaceReason.map { try WireValue.wire($0) }, channel: try WireValue.wire(file.channel),
            eligibility: try file.row.eligibility.map { try WireValue.wire($0) }, receivedAt: file.receivedAt,
            daysOnClock: file.elapsedDays(now: now), clockPaused: file.isPaused, assignedTo: file.assignedName, team: file.row.team,
            applicant: file.applicantName, postcode: file.postcode,
            evidence: file.evidence.map { .init(kind: $0.kind, requestedAt: $0.requestedAt, receivedAt: $0.receivedAt) },
            decision: try file.decision.map {
                .init(
                    outcome: try WireValue.wire(RawText(rawValue: $0.outcome)),
                    reasons: try $0.reasons.map { try WireValue.wire($0) }, rationale: $0.rationale, reviewOffered: $0.reviewOffered,
                    decidedAt: $0.decidedAt)
            },
            review: try file.review.map {
                .init(
                    requestedAt: $0.requestedAt, dueOn: $0.dueOn, status: try WireValue.wire(RawText(rawValue: $0.status)),
                    rationale: $0.rationale)
            },
            letters: file.letters.map { .init(id: $0.id.uuidString, kind: $0.kind, channel: $0.channel, createdAt: $0.createdAt) },
            documents: try file.documents.map(Components.Schemas.Document.init),
            timeline: file.events.map { .init(at: $0.at, actor: $0.actor, kind: $0.kind, detail: $0.detail) })
    }
}

extension Components.Schemas.Document {
    init(_ document: CaseDocument) throws {
        self.init(
            id: document.id.uuidString.lowercased(), stage: try WireValue.wire(document.stage),
            _class: try WireValue.wire(document.documentClass),
            fileName: document.fileName, mediaType: try WireValue.wire(RawText(rawValue: document.mediaType)),
            byteCount: document.byteCount,
            sha256: document.sha256, uploadedBy: document.uploadedBy, uploadedAt: document.uploadedAt)
    }
}

/// A value the case file reads as text (a decision's outcome, a review's status).
private struct RawText: RawRepresentable {
    let rawValue: String
}

extension Components.Schemas.Badge {
    init(_ badge: Badge, today: Day) throws {
        let expired = badge.isExpired(today: today) && [.ordered, .issued].contains(badge.status)
        self.init(
            badgeNumber: badge.number, status: expired ? .expired : try WireValue.wire(badge.status), holder: badge.holderName,
            eligibility: badge.eligibility, startDate: badge.start.iso, expiryDate: badge.expiry.iso,
            deliverTo: try WireValue.wire(badge.deliverTo), cancelReason: try badge.cancelReason.map { try WireValue.wire($0) },
            replaceReason: try badge.replaceReason.map { try WireValue.wire($0) }, replaces: badge.replaces,
            application: badge.applicationReference)
    }
}

extension Components.Schemas.EnforcementCase {
    init(_ file: EnforcementCase) throws {
        self.init(
            reference: file.reference, reportedBadge: file.reportedBadge, badge: file.badge?.number,
            status: try WireValue.wire(file.status),
            outcome: try file.outcome.map { try WireValue.wire($0) }, location: file.location, observation: file.observation)
    }
}

extension Components.Schemas.Figures {
    init(_ mi: ManagementInformation, targetDays: Int) {
        func buckets(_ list: [ManagementInformation.Bucket]) -> [Components.Schemas.Bucket] {
            list.map { .init(label: $0.label, count: $0.count) }
        }
        self.init(
            targetDays: targetDays, decided: mi.decided, decidedWithinTarget: mi.decidedWithinTarget, openReviews: mi.openReviews,
            overdueReviews: mi.overdueReviews, reviewsDecided: mi.reviewsDecided, reviewsDecidedOnTime: mi.reviewsDecidedOnTime,
            byStatus: buckets(mi.byStatus), ageing: buckets(mi.ageing), decisionsByMonth: buckets(mi.throughputByMonth),
            decisionsByOfficer: buckets(mi.throughputByOfficer),
            exceptions: mi.exceptions.map { .init(reference: $0.reference, what: $0.what, days: $0.days) })
    }
}
