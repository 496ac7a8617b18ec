import Enforcement
import Foundation

// The forms of the enforcement pages, each decoded from its post by `PageFormDecoder`.

/// A report of a badge misused.
struct MisuseReportForm: Decodable, Sendable {
    @Trimmed var badgeNumber: String
    @Trimmed var location: String
    @Trimmed var vehicleRegistration: String
    @Trimmed var observation: String
    @Trimmed var reportedBy: String

    enum CodingKeys: String, CodingKey {
        case badgeNumber = "badge-number", location, vehicleRegistration = "vehicle-registration", observation
        case reportedBy = "reported-by"
    }

    func report(seenAt: Date) -> MisuseReport {
        MisuseReport(
            badgeNumber: badgeNumber, location: location, vehicleRegistration: vehicleRegistration, observation: observation,
            reportedBy: reportedBy, seenAt: seenAt)
    }
}

/// Evidence added to an enforcement case.
struct EnforcementEvidenceForm: Decodable, Sendable {
    @Trimmed var evidence: String
}

/// Closing an enforcement case with its outcome.
struct EnforcementOutcomeForm: Decodable, Sendable {
    @Choice var outcome: EnforcementOutcome?
    @Trimmed var rationale: String
}
