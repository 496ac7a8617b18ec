import Foundation
import KerbPolicies
import Storage

/// A tenant's local policy document. The engine that parses it and enforces it inside the
/// statutory guardrails comes with the identity and policy work; at onboarding the tenant
/// receives a verbatim copy of `policies/default.toml` as version 1.
public enum LocalPolicy {
    public static func defaultDocument() throws -> String {
        guard let url = KerbPolicies.bundle.url(forResource: "default", withExtension: "toml") else {
            throw StorageError.invalidSetting("policies/default.toml is missing from the bundle")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Records version 1 inside the tenant's scope, in the caller's transaction.
    public static func recordInitial(_ session: AdminSession, document: String, actor: String) throws {
        try session.query(
            "INSERT INTO policy_versions (version, document, reason, created_by) VALUES (1, $1, 'Default local policy copied at onboarding', $2)",
            [document, actor])
    }
}
