import Foundation

/// The SQL migration files shipped with the binary: `control/` for the control plane and
/// `tenant/` for every tenant schema. Kept at the repository root so reviewers find them there.
public enum KerbMigrations {
    public static var bundle: Bundle { Bundle.module }
}
