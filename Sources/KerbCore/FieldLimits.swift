/// The longest text Kerb takes in each field, in characters: one table that the form parser and
/// the API read (a longer value is refused with 422 before any handler runs), that the pages
/// render as `maxlength`, and that tests hold to the OpenAPI document's `maxLength` and to the
/// schema's `<table>_<column>_length` CHECK constraints, so the four cannot drift apart.
public struct FieldLimit: Sendable, Equatable {
    public let max: Int
    /// Form field names (pages).
    public let form: [String]
    /// JSON property names (the API); an array's elements take its property's limit.
    public let api: [String]
    /// `table.column` in a council's schema.
    public let columns: [String]

    public init(_ max: Int, form: [String] = [], api: [String] = [], columns: [String] = []) {
        self.max = max
        self.form = form
        self.api = api
        self.columns = columns
    }
}

public enum FieldLimits {
    /// Any field not named below: choices, numbers, dates, flags.
    public static let fallback = 1_000

    public static let all: [FieldLimit] = [
        FieldLimit(
            200, form: ["full-name", "rep-name"], api: ["fullName"],
            columns: ["users.full_name", "people.full_name", "representatives.full_name"]),
        FieldLimit(254, form: ["email"], api: ["email"], columns: ["users.email", "people.email"]),
        FieldLimit(
            200, form: ["address-line1", "address-line2"], api: ["addressLine1", "addressLine2"],
            columns: ["people.address_line1", "people.address_line2"]),
        FieldLimit(100, form: ["town"], api: ["town"], columns: ["people.town"]),
        FieldLimit(16, form: ["postcode"], api: ["postcode"], columns: ["people.postcode"]),
        FieldLimit(40, form: ["phone"], api: ["phone"], columns: ["people.phone"]),
        FieldLimit(20, form: ["nino"], api: ["nino"]),
        FieldLimit(40, form: ["date-of-birth", "start", "expiry"], api: ["dateOfBirth", "startDate", "expiryDate", "seenAt"]),
        FieldLimit(500, form: ["rep-contact"], columns: ["representatives.contact"]),
        // The audit page's filters (a GET form: who acted, which record, from and to which day).
        FieldLimit(200, form: ["audit-who"]),
        FieldLimit(100, form: ["audit-record"]),
        FieldLimit(10, form: ["audit-from", "audit-to"]),
        // What an administrator found when closing an unusual-behaviour flag.
        FieldLimit(1_000, form: ["flag-note"]),
        FieldLimit(
            100, form: ["name", "assign-team", "team"],
            columns: ["access_groups.name", "teams.name", "user_teams.team", "api_keys.name", "applications.team"]),
        FieldLimit(500, form: ["description"], columns: ["access_groups.description"]),
        FieldLimit(1_000, form: ["reason"], columns: ["policy_versions.reason"]),
        // Why a person's details were corrected, or their record erased.
        FieldLimit(1_000, form: ["rectify-reason", "erase-reason"], columns: ["rectifications.reason"]),
        FieldLimit(
            20, form: ["badge-number", "existing-badge", "number"], api: ["badgeNumber", "existingBadge"],
            columns: ["enforcement_cases.reported_badge", "applications.existing_badge"]),
        FieldLimit(500, form: ["location"], api: ["location"], columns: ["enforcement_cases.location"]),
        FieldLimit(20, form: ["vehicle-registration"], api: ["vehicleRegistration"], columns: ["enforcement_cases.vehicle_registration"]),
        FieldLimit(200, form: ["reported-by"], api: ["reportedBy"], columns: ["enforcement_cases.reported_by"]),
        FieldLimit(
            5_000, form: ["note", "findings", "rationale", "review-rationale", "observation", "evidence"],
            api: ["text", "findings", "rationale", "observation"],
            columns: [
                "application_notes.body", "applications.assessment", "decisions.rationale", "reviews.rationale",
                "enforcement_cases.observation", "enforcement_cases.outcome_rationale", "enforcement_evidence.description",
            ]),
        FieldLimit(200, form: ["other"], api: ["items"], columns: ["evidence_items.kind"]),
        FieldLimit(20_000, form: ["body"], columns: ["letter_templates.body", "message_templates.body"]),
        FieldLimit(200, form: ["subject"], columns: ["message_templates.subject"]),
        // A message as rendered: wording of at most 20,000 characters with the case's facts in it.
        FieldLimit(40_000, columns: ["messages.body"]),
        FieldLimit(32, form: ["case"]),
        FieldLimit(128, form: ["password", "current-password", "new-password", "confirm"]),
        FieldLimit(32, form: ["code"]),
        FieldLimit(128, form: ["token", "csrf"]),
        FieldLimit(2_048, api: ["returnUrl"]),
        FieldLimit(200, form: ["q"]),
    ]

    private static let byForm: [String: Int] = Dictionary(
        all.flatMap { limit in limit.form.map { ($0, limit.max) } }, uniquingKeysWith: { first, _ in first })
    private static let byAPI: [String: Int] = Dictionary(
        all.flatMap { limit in limit.api.map { ($0, limit.max) } }, uniquingKeysWith: { first, _ in first })

    /// The limit of a form field.
    public static func form(_ name: String) -> Int { byForm[name] ?? fallback }

    /// The limit of a JSON property.
    public static func api(_ name: String) -> Int { byAPI[name] ?? fallback }

    /// The limit held by the schema on `table.column`, if any.
    public static func column(_ name: String) -> Int? { all.first { $0.columns.contains(name) }?.max }
}
