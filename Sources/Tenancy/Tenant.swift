import Foundation
import KerbCore
import Storage

/// The supplier's pricing band, A (smallest caseload) to F (largest), from the seed's Appendix A.
public enum Band: String, Sendable, Codable, CaseIterable {
    case a = "A", b = "B", c = "C", d = "D", e = "E", f = "F"
}

/// A council onboarded to Kerb: the unit of isolation.
public struct Tenant: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        case active, suspended, offboarded
    }

    public let id: UUID
    public let slug: Slug
    public let authoritySlug: String
    public let displayName: String
    public let band: Band
    public let nation: Nation
    public let status: Status
    public let statusReason: String?
    public let hostnames: [String]
    public let createdAt: Date
    public let suspendedAt: Date?

    /// Where its data lives: `t_<slug>` for a council.
    public let scope: TenantScope
    public var isActive: Bool { status == .active }

    public init(
        id: UUID, slug: Slug, authoritySlug: String, displayName: String, band: Band, nation: Nation,
        status: Status, statusReason: String?, hostnames: [String], createdAt: Date, suspendedAt: Date?, scope: TenantScope? = nil
    ) {
        self.scope = scope ?? TenantScope(slug)
        self.id = id
        self.slug = slug
        self.authoritySlug = authoritySlug
        self.displayName = displayName
        self.band = band
        self.nation = nation
        self.status = status
        self.statusReason = statusReason
        self.hostnames = hostnames
        self.createdAt = createdAt
        self.suspendedAt = suspendedAt
    }
}
