import KerbCore

/// What supplier ops and the router can get wrong; every case changes nothing.
public enum TenancyError: KerbError, Equatable {
    case invalidSlug(String)
    case unknownAuthority(String)
    case authorityAlreadyOnboarded(authority: String, slug: String)
    case slugTaken(String)
    case invalidHostname(String)
    case hostnameTaken(String)
    case unknownTenant
    case suspended
    case wrongStatus(slug: String, status: String, wanted: String)
    case reasonRequired
    case offboardNeedsVerifiedExport(String)
    case invalidAdmin([FieldIssue])
    case catalogue(String)
    /// The export folder exists and is not empty, or cannot be written.
    case exportFolderUnusable(String)
    /// The folder holds no manifest, or one Kerb did not record making.
    case exportNotRecognised(String)
    /// Verification found differences (files changed, or the council's data has moved on).
    case exportDoesNotVerify([String])
    /// The council's export key (public or private) is not a key Kerb can use.
    case exportKeyUnusable(String)
    /// The import folder is neither a Kerb export (manifest.json) nor legacy files (people.csv).
    case importSourceNotRecognised(String)
    /// The import refuses these rows or files; nothing was written.
    case importRefused([ImportRefusal])
    /// The council already holds casework (or people onboarding did not invite): an import
    /// writes only into a council that is empty.
    case importTargetNotEmpty(String)
    /// The imported council does not match what was imported (the import was committed).
    case importDoesNotVerify([String])

    public var kind: KerbErrorKind {
        switch self {
        case .invalidSlug: .invalid([FieldIssue(field: "slug", message: publicDetail)])
        case .invalidHostname: .invalid([FieldIssue(field: "hostname", message: publicDetail)])
        case .reasonRequired: .invalid([FieldIssue(field: "reason", message: publicDetail)])
        case .invalidAdmin(let issues): .invalid(issues)
        case .unknownAuthority, .unknownTenant: .notFound
        case .authorityAlreadyOnboarded, .slugTaken, .hostnameTaken, .wrongStatus, .offboardNeedsVerifiedExport: .conflict
        case .suspended: .unavailable
        case .catalogue: .invalid([])
        case .exportFolderUnusable, .exportNotRecognised, .exportKeyUnusable: .invalid([])
        case .exportDoesNotVerify: .conflict
        case .importSourceNotRecognised, .importRefused: .invalid([])
        case .importTargetNotEmpty, .importDoesNotVerify: .conflict
        }
    }

    public var code: String {
        switch self {
        case .invalidSlug: "tenancy.invalid-slug"
        case .unknownAuthority: "tenancy.unknown-authority"
        case .authorityAlreadyOnboarded: "tenancy.already-onboarded"
        case .slugTaken: "tenancy.slug-taken"
        case .invalidHostname: "tenancy.invalid-hostname"
        case .hostnameTaken: "tenancy.hostname-taken"
        case .unknownTenant: "tenancy.unknown-tenant"
        case .suspended: "tenancy.suspended"
        case .wrongStatus: "tenancy.wrong-status"
        case .reasonRequired: "tenancy.reason-required"
        case .offboardNeedsVerifiedExport: "tenancy.offboard-needs-export"
        case .invalidAdmin: "tenancy.invalid-admin"
        case .catalogue: "tenancy.catalogue"
        case .exportFolderUnusable: "tenancy.export-folder-unusable"
        case .exportNotRecognised: "tenancy.export-not-recognised"
        case .exportDoesNotVerify: "tenancy.export-does-not-verify"
        case .exportKeyUnusable: "tenancy.export-key-unusable"
        case .importSourceNotRecognised: "tenancy.import-source-not-recognised"
        case .importRefused: "tenancy.import-refused"
        case .importTargetNotEmpty: "tenancy.import-target-not-empty"
        case .importDoesNotVerify: "tenancy.import-does-not-verify"
        }
    }

    public var publicDetail: String {
        switch self {
        case .invalidSlug(let slug):
            "'\(slug)' is not a valid slug: use lowercase letters, digits and single hyphens, starting with a letter, at most \(Slug.maxLength) characters"
        case .unknownAuthority(let authority): "No authority '\(authority)' in the catalogue (tenants/authorities.csv)"
        case .authorityAlreadyOnboarded(let authority, let slug): "Authority '\(authority)' is already onboarded as tenant '\(slug)'"
        case .slugTaken(let slug): "The slug '\(slug)' is already used by another tenant"
        case .invalidHostname(let host): "'\(host)' is not a valid hostname"
        case .hostnameTaken(let host): "The hostname '\(host)' is already used by another tenant"
        case .unknownTenant: "There is no council at this address"
        case .suspended: "This council's service is suspended. Please contact the council."
        case .wrongStatus(let slug, let status, let wanted): "Tenant '\(slug)' is \(status); this needs it to be \(wanted)"
        case .reasonRequired: "Give a reason; it is kept in the tenant's lifecycle record"
        case .offboardNeedsVerifiedExport(let slug):
            "Tenant '\(slug)' cannot be offboarded: offboarding deletes the council's data, so it needs an export verified against the council's data as it is now (kerb tenant export \(slug) --to DIR, then kerb tenant export verify DIR). Nothing was changed."
        case .invalidAdmin(let issues): issues.map(\.message).joined(separator: "; ")
        case .catalogue(let message): message
        case .exportFolderUnusable(let folder): "\(folder) must be a new or empty folder Kerb can write"
        case .exportNotRecognised(let why): "Not a Kerb export: \(why)"
        case .exportDoesNotVerify(let problems):
            "The export does not verify (\(problems.count) problem\(problems.count == 1 ? "" : "s")): "
                + problems.prefix(5).joined(separator: "; ")
        case .exportKeyUnusable(let why): "The export key cannot be used: \(why)"
        case .importSourceNotRecognised(let why): "Nothing to import: \(why)"
        case .importRefused(let refusals):
            "The import is refused (\(refusals.count) problem\(refusals.count == 1 ? "" : "s")); nothing was written: "
                + refusals.prefix(5).map(\.description).joined(separator: "; ")
        case .importTargetNotEmpty(let slug):
            "Tenant '\(slug)' is not empty: an import writes only into a council that holds no casework (and, for a Kerb export, no one but the administrator onboarding invited). Nothing was written."
        case .importDoesNotVerify(let problems):
            "The imported council does not match the import (\(problems.count) problem\(problems.count == 1 ? "" : "s")): "
                + problems.prefix(5).joined(separator: "; ")
        }
    }
}
