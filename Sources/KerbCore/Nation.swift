/// A UK nation: decides the statutory guardrails (fee cap, bank holidays) a council works within.
public enum Nation: String, Sendable, Codable, CaseIterable {
    case england = "England"
    case scotland = "Scotland"
    case wales = "Wales"
    case northernIreland = "Northern Ireland"

    /// The file stem of the nation's guardrails in `policies/statutory/`.
    public var slug: String { String(rawValue.lowercased().map { $0 == " " ? "-" : $0 }) }
}
