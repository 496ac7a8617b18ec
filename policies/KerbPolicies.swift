import Foundation

/// The statutory guardrails and the default local policy shipped with the binary.
public enum KerbPolicies {
    public static var bundle: Bundle { Bundle.module }
}
