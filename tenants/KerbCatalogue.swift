import Foundation

/// The authority catalogue (`authorities.csv`, `bands.csv`) shipped with the binary.
public enum KerbCatalogue {
    public static var bundle: Bundle { Bundle.module }
}
