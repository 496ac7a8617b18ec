import Foundation
import KerbCore
import Storage

/// A council's local policy as stored: versioned rows in its own schema (`policy_versions`),
/// each the canonical JSON of a `LocalPolicyDocument` that passed `PolicyCheck`.
public enum LocalPolicy {
    /// The policy a new council starts with: `policies/default.yaml`, with the badge fee lowered
    /// to its nation's statutory maximum where the default is above it (Wales: badges are free).
    public static func initial(for nation: Nation) throws(PolicyError) -> (document: LocalPolicyDocument, reason: String) {
        var document = try PolicyFile.bundledDefault()
        let guardrails = try PolicyFile.bundledGuardrails(nation)
        var reason = "Default local policy copied at onboarding"
        if document.badge.feePence > guardrails.badge.maxFeePence {
            document.badge.feePence = guardrails.badge.maxFeePence
            reason += "; badge fee set to the \(nation.rawValue) maximum of \(PolicyCheck.pounds(guardrails.badge.maxFeePence))"
        }
        try PolicyCheck.validate(document, within: guardrails)
        return (document, reason)
    }

    /// Records version 1 inside the tenant's scope, in the caller's transaction.
    public static func recordInitial(_ session: AdminSession, document: LocalPolicyDocument, reason: String, actor: String) throws {
        try session.query(
            "INSERT INTO policy_versions (version, document, reason, created_by) VALUES (1, $1::jsonb, $2, $3)",
            [PolicyFile.json(document), reason, actor])
    }
}
