/// The national Blue Badge scheme's codes, kept verbatim so officers see the terms they know
/// and imports from the national service map one to one. Raw values are stored.

public enum ApplicationKind: String, Sendable, CaseIterable, Codable {
    case new = "NEW", renew = "RENEW", replace = "REPLACE"

    /// As people say it (the code is the national scheme's).
    public var label: String {
        switch self {
        case .new: "New application"
        case .renew: "Renewal"
        case .replace: "Replacement"
        }
    }
}

public enum ReplacementReason: String, Sendable, CaseIterable, Codable {
    case lost = "LOST", stolen = "STOLE", damaged = "DAMAGED", undelivered = "UNDELIVER"

    public var label: String {
        switch self {
        case .lost: "Lost"
        case .stolen: "Stolen"
        case .damaged: "Damaged"
        case .undelivered: "Not delivered"
        }
    }
}

public enum Channel: String, Sendable, CaseIterable, Codable {
    case online = "ONLINE", paper = "PAPER", phone = "PHONE", inPerson = "INPERSON"

    public var label: String {
        switch self {
        case .online: "Online"
        case .paper: "Paper form"
        case .phone: "Phone"
        case .inPerson: "In person"
        }
    }
}

/// Why someone may be eligible. The first five qualify automatically on proof; the rest need
/// further assessment by the council.
public enum Eligibility: String, Sendable, CaseIterable, Codable {
    case pip = "PIP", dla = "DLA", afrfcs = "AFRFCS", wpms = "WPMS", blind = "BLIND"
    case walking = "WALKD", arms = "ARMS", childBulk = "CHILDBULK", childVehicle = "CHILDVEHIC", cognitive = "COGNITIVE"

    /// An automatic route: a refusal means the proof did not show the qualifying benefit or
    /// certificate, so no review is offered (seed 001, rec 4).
    public var isAutomatic: Bool { [.pip, .dla, .afrfcs, .wpms, .blind].contains(self) }

    public var label: String {
        switch self {
        case .pip: "PIP: 8 points or more in 'moving around', or 10 points in 'planning and following a journey'"
        case .dla: "DLA: higher rate mobility component"
        case .afrfcs: "Armed Forces Compensation Scheme (tariff 1–8, mental disorder)"
        case .wpms: "War Pensioners' Mobility Supplement"
        case .blind: "Registered blind (severely sight impaired)"
        case .walking: "Walking difficulty (further assessment)"
        case .arms: "Severe disability in both arms, drives regularly"
        case .childBulk: "Child under 3 needing bulky medical equipment"
        case .childVehicle: "Child under 3 needing to be near a vehicle for treatment"
        case .cognitive: "Non-visible (hidden) condition: journeys cause very considerable difficulty"
        }
    }
}

public enum ApplicationStatus: String, Sendable, CaseIterable, Codable {
    case draft = "DRAFT", received = "RECEIVED", awaitingApplicant = "AWAITING_APPLICANT", assessed = "ASSESSED"
    case approved = "APPROVED", refused = "REFUSED", withdrawn = "WITHDRAWN"

    public var isOpen: Bool { [.received, .awaitingApplicant, .assessed].contains(self) }

    public var label: String {
        switch self {
        case .draft: "Draft"
        case .received: "Received"
        case .awaitingApplicant: "Waiting for the applicant"
        case .assessed: "Assessed, awaiting decision"
        case .approved: "Approved"
        case .refused: "Refused"
        case .withdrawn: "Withdrawn"
        }
    }
}

/// Reasons a refusal may give; each is quoted in the refusal letter. A refusal needs at least one
/// and a rationale in the officer's own words.
public enum RefusalReason: String, Sendable, CaseIterable, Codable {
    case benefitNotShown = "BENEFIT_NOT_SHOWN"
    case walkingNotSubstantial = "WALKING_NOT_SUBSTANTIAL"
    case conditionNotPermanent = "NOT_PERMANENT"
    case insufficientEvidence = "INSUFFICIENT_EVIDENCE"
    case noResponse = "NO_RESPONSE"
    case notResident = "NOT_RESIDENT"

    public var text: String {
        switch self {
        case .benefitNotShown: "The evidence does not show the benefit or award that qualifies automatically"
        case .walkingNotSubstantial: "The assessment did not find a very considerable difficulty walking"
        case .conditionNotPermanent: "The condition is not expected to last at least 12 months"
        case .insufficientEvidence: "There is not enough evidence to show eligibility"
        case .noResponse: "We did not receive the information we asked for"
        case .notResident: "The applicant does not live in this council's area"
        }
    }
}

/// A badge's state in the national register. "Expired" is not a status: it follows from the
/// expiry date, so it can never be out of step with it.
public enum BadgeStatus: String, Sendable, CaseIterable, Codable {
    case ordered = "ORDERED", issued = "ISSUED", cancelled = "CANCELLED", replaced = "REPLACED"

    public var label: String {
        switch self {
        case .ordered: "Ordered"
        case .issued: "Issued"
        case .cancelled: "Cancelled"
        case .replaced: "Replaced"
        }
    }
}

public enum CancelReason: String, Sendable, CaseIterable, Codable {
    case deceased = "DECEASE", noLongerNeeded = "NOLONG", revoked = "REVOKE", lost = "LOST", stolen = "STOLE"
    case damaged = "DAMAGED", undelivered = "UNDELIVER"

    public var label: String {
        switch self {
        case .deceased: "The holder has died"
        case .noLongerNeeded: "No longer needed"
        case .revoked: "Revoked (misuse or no longer eligible)"
        case .lost: "Lost"
        case .stolen: "Stolen"
        case .damaged: "Damaged"
        case .undelivered: "Not delivered (lost in the post)"
        }
    }
}

public enum DeliverTo: String, Sendable, CaseIterable, Codable {
    case home = "HOME", council = "COUNCIL"
}

public enum DeliveryOption: String, Sendable, CaseIterable, Codable {
    case standard = "STAND", fast = "FAST"
}
