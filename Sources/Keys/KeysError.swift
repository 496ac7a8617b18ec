import KerbCore

/// Why a key could not be loaded or used. None of them quote key material.
public enum KeysError: KerbError, Equatable {
    /// `KERB_MASTER_KEY_FILE` is not set (and no key was given another way).
    case masterKeyMissing
    /// The master key file could not be read, is readable by others, or does not hold 32 bytes.
    case masterKeyUnreadable(String)
    /// The council has no data key: onboarding or `kerb migrate` makes one.
    case noDataKey(tenant: String)
    /// A wrapped data key did not open with this master key: a different master key, or tampering.
    case unwrapFailed(tenant: String)
    /// Sealed bytes that name a key version the council no longer has, or that fail to open.
    case sealedUnreadable

    public var kind: KerbErrorKind { .unavailable }
    public var code: String {
        switch self {
        case .masterKeyMissing: "keys.master-key-missing"
        case .masterKeyUnreadable: "keys.master-key-unreadable"
        case .noDataKey: "keys.no-data-key"
        case .unwrapFailed: "keys.unwrap-failed"
        case .sealedUnreadable: "keys.sealed-unreadable"
        }
    }
    public var publicDetail: String {
        switch self {
        case .masterKeyMissing: "KERB_MASTER_KEY_FILE is not set: the master key wraps every council's data key"
        case .masterKeyUnreadable(let why): "the master key file cannot be used: \(why)"
        case .noDataKey(let tenant): "council \(tenant) has no data key; run kerb migrate"
        case .unwrapFailed(let tenant): "council \(tenant)'s data key does not open with this master key"
        case .sealedUnreadable: "sealed data could not be opened with the council's keys"
        }
    }
}
