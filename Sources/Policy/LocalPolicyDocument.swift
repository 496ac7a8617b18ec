import KerbCore

/// A council's local policy: the rules it may set for itself (seed 000: "users cannot apply
/// customisations that would result in breaches of statutory process"). Field names in files
/// and stored versions are snake_case (`badge.fee_pence`).
public struct LocalPolicyDocument: Codable, Sendable, Equatable {
    public struct Security: Codable, Sendable, Equatable {
        public var passwordMinLength: Int
        /// 0 turns forced expiry off (NCSC and OWASP ASVS advice); the audited council used 90.
        public var passwordMaxAgeDays: Int
        public var passwordHistory: Int
        public var mfaRequired: Bool
        public var lockoutThreshold: Int
        public var lockoutMinutes: Int
        public var sessionIdleMinutes: Int
        public var sessionAbsoluteHours: Int
        public var accessChangesNeedSecondAdmin: Bool
    }

    public struct Casework: Codable, Sendable, Equatable {
        public var processingTargetDays: Int
        public var pauseClockAwaitingApplicant: Bool
        public var reviewResponseWorkingDays: Int
        public var makerCheckerOnRefusals: Bool
        public var escalateDaysBeforeTarget: Int
    }

    public struct Badge: Codable, Sendable, Equatable {
        public enum Delivery: String, Codable, Sendable { case home, council }
        public var feePence: Int
        public var validityMonths: Int
        public var renewalInvitationDays: Int
        public var delivery: Delivery
    }

    public struct Evidence: Codable, Sendable, Equatable {
        public var proofOfIdentity: Bool
        public var proofOfAddress: Bool
        public var photo: Bool

        public init(proofOfIdentity: Bool, proofOfAddress: Bool, photo: Bool) {
            self.proofOfIdentity = proofOfIdentity
            self.proofOfAddress = proofOfAddress
            self.photo = photo
        }
    }

    /// What may be uploaded: the size limit and the kinds of file (decided from the content).
    public struct Documents: Codable, Sendable, Equatable {
        public var maxMegabytes: Int
        public var allowPdf: Bool
        public var allowJpeg: Bool
        public var allowPng: Bool
        public var allowHeic: Bool

        /// What councils get by default, and what a policy stored before documents existed means.
        public static let standard = Documents(maxMegabytes: 20, allowPdf: true, allowJpeg: true, allowPng: true, allowHeic: true)

        /// The largest upload Kerb takes from any council.
        public static let serviceMaxMegabytes = 50

        public var maxBytes: Int { maxMegabytes * 1024 * 1024 }
    }

    /// How long records are kept once their purpose has ended (issue 11, item 5). Documents of a
    /// decided case (approved, refused or withdrawn, no review open) go this many months after
    /// the decision.
    public struct Retention: Codable, Sendable, Equatable {
        public var documentMonths: Int
        /// A refused (or withdrawn) application, with its applicant if nothing else of theirs
        /// remains, is anonymised this many months after the decision (none while a review is open).
        public var refusedApplicationMonths: Int
        /// An expired or cancelled badge's holder details are anonymised this many months after
        /// expiry (the badge number and dates stay, for the national register's history).
        public var expiredBadgeMonths: Int
        /// A closed enforcement case is anonymised this many months after it closed.
        public var enforcementMonths: Int

        public static let standard = Retention(
            documentMonths: 24, refusedApplicationMonths: 24, expiredBadgeMonths: 36, enforcementMonths: 72)

        public init(documentMonths: Int, refusedApplicationMonths: Int, expiredBadgeMonths: Int, enforcementMonths: Int) {
            self.documentMonths = documentMonths
            self.refusedApplicationMonths = refusedApplicationMonths
            self.expiredBadgeMonths = expiredBadgeMonths
            self.enforcementMonths = enforcementMonths
        }

        enum CodingKeys: String, CodingKey { case documentMonths, refusedApplicationMonths, expiredBadgeMonths, enforcementMonths }

        /// A policy stored before a period existed keeps the standard one for it.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let standard = Self.standard
            documentMonths = try c.decodeIfPresent(Int.self, forKey: .documentMonths) ?? standard.documentMonths
            refusedApplicationMonths =
                try c.decodeIfPresent(Int.self, forKey: .refusedApplicationMonths) ?? standard.refusedApplicationMonths
            expiredBadgeMonths = try c.decodeIfPresent(Int.self, forKey: .expiredBadgeMonths) ?? standard.expiredBadgeMonths
            enforcementMonths = try c.decodeIfPresent(Int.self, forKey: .enforcementMonths) ?? standard.enforcementMonths
        }
    }

    /// What the unusual-behaviour rules flag to administrators (issue 11, item 3).
    public struct Monitoring: Codable, Sendable, Equatable {
        /// Opening more records than this in one hour is flagged.
        public var viewsPerHourLimit: Int
        /// Or more than this many times the person's usual hourly count…
        public var usualMultiple: Int
        /// …once they open at least this many in the hour.
        public var minimumViews: Int
        /// Exports of personal data outside these hours (UK time, Monday to Friday) are flagged.
        public var workdayStartHour: Int
        public var workdayEndHour: Int

        public static let standard = Monitoring(
            viewsPerHourLimit: 150, usualMultiple: 4, minimumViews: 30, workdayStartHour: 7, workdayEndHour: 19)
    }

    public var security: Security
    public var casework: Casework
    public var badge: Badge
    public var evidence: Evidence
    public var documents: Documents
    public var retention: Retention
    public var monitoring: Monitoring

    enum CodingKeys: String, CodingKey { case security, casework, badge, evidence, documents, retention, monitoring }

    public init(
        security: Security, casework: Casework, badge: Badge, evidence: Evidence, documents: Documents = .standard,
        retention: Retention = .standard, monitoring: Monitoring = .standard
    ) {
        self.security = security
        self.casework = casework
        self.badge = badge
        self.evidence = evidence
        self.documents = documents
        self.retention = retention
        self.monitoring = monitoring
    }

    /// Versions stored before the documents section existed read as the standard one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        security = try container.decode(Security.self, forKey: .security)
        casework = try container.decode(Casework.self, forKey: .casework)
        badge = try container.decode(Badge.self, forKey: .badge)
        evidence = try container.decode(Evidence.self, forKey: .evidence)
        documents = try container.decodeIfPresent(Documents.self, forKey: .documents) ?? .standard
        retention = try container.decodeIfPresent(Retention.self, forKey: .retention) ?? .standard
        monitoring = try container.decodeIfPresent(Monitoring.self, forKey: .monitoring) ?? .standard
    }
}

/// What no local policy may breach, per nation (`policies/statutory/<nation>.yaml`).
public struct StatutoryGuardrails: Codable, Sendable, Equatable {
    public struct Badge: Codable, Sendable, Equatable {
        public var maxValidityMonths: Int
        public var maxFeePence: Int
    }

    public struct Decisions: Codable, Sendable, Equatable {
        public var refusalRequiresReasons: Bool
        public var reviewOfferedUnlessAutomaticRoute: Bool
    }

    public struct Security: Codable, Sendable, Equatable {
        public var individualAccountsOnly: Bool
        public var mfaAvailable: Bool
        /// The statutory baseline forbids switching two-factor authentication off.
        public var mfaMandatory: Bool
        public var lockoutThresholdMax: Int
        public var passwordMinLengthMin: Int
        public var sessionIdleMinutesMax: Int
    }

    public var nation: Nation
    public var badge: Badge
    public var decisions: Decisions
    public var security: Security
}
