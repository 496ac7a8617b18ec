import KerbCore

/// Why a backup command was refused or a backup failed its checks. Reasons name files, tables
/// and documents by id, never the council's data.
public enum BackupError: KerbError, Equatable {
    case notSet(String)
    case unknownBackup
    /// The backup exists but is not complete (it never finished) or its files were pruned.
    case notRestorable(String)
    /// A restore of one council from another council's backup.
    case otherCouncil(backup: String, council: String)
    /// The backup's files or content do not match what was recorded when it was taken.
    case doesNotVerify([String])
    /// The restore did not reproduce the backup; nothing was changed.
    case restoreRefused(String)
    case nothingToConfirm(String)

    public var kind: KerbErrorKind {
        switch self {
        case .notSet: .invalid([])
        case .unknownBackup: .notFound
        case .notRestorable, .otherCouncil, .doesNotVerify, .restoreRefused, .nothingToConfirm: .conflict
        }
    }

    public var code: String {
        switch self {
        case .notSet: "backup.not-set"
        case .unknownBackup: "backup.unknown"
        case .notRestorable: "backup.not-restorable"
        case .otherCouncil: "backup.other-council"
        case .doesNotVerify: "backup.does-not-verify"
        case .restoreRefused: "backup.restore-refused"
        case .nothingToConfirm: "backup.nothing-to-confirm"
        }
    }

    public var publicDetail: String {
        switch self {
        case .notSet(let what): what
        case .unknownBackup: "There is no such backup"
        case .notRestorable(let why): why
        case .otherCouncil(let backup, let council):
            "backup \(backup) is not \(council)'s: a council is only ever restored from its own backups"
        case .doesNotVerify(let problems): "the backup does not verify: " + problems.joined(separator: "; ")
        case .restoreRefused(let why): "the restore was refused and nothing changed: \(why)"
        case .nothingToConfirm(let council): "\(council) has no restore waiting to be confirmed"
        }
    }
}
