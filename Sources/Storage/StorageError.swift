import KerbCore

/// Failures of the storage layer. Server messages are kept for logs (`logDetail`); the public
/// detail is generic because PostgreSQL messages can quote the values that caused them.
public enum StorageError: KerbError, CustomStringConvertible, Equatable {
    case missingSetting(String)
    case invalidSetting(String)
    case connectionFailed(String)
    case statementFailed(sqlState: String, message: String)
    case migrationChanged(schema: String, version: String)
    case migrationFailed(schema: String, version: String, message: String)
    case unsafeIdentifier
    /// One of PostgreSQL's client programs (`PostgresTools`) exited non-zero; `message` is the
    /// end of what it wrote to standard error (for the operator, never a page).
    case toolFailed(program: String, status: Int32, message: String)

    public var kind: KerbErrorKind {
        switch self {
        case .connectionFailed: .unavailable
        case .missingSetting, .invalidSetting, .unsafeIdentifier: .invalid([])
        case .statementFailed, .migrationFailed, .toolFailed: .unavailable
        case .migrationChanged: .conflict
        }
    }

    public var code: String {
        switch self {
        case .missingSetting: "storage.missing-setting"
        case .invalidSetting: "storage.invalid-setting"
        case .connectionFailed: "storage.connection-failed"
        case .statementFailed: "storage.statement-failed"
        case .migrationChanged: "storage.migration-changed"
        case .migrationFailed: "storage.migration-failed"
        case .unsafeIdentifier: "storage.unsafe-identifier"
        case .toolFailed: "storage.tool-failed"
        }
    }

    public var publicDetail: String {
        switch self {
        case .missingSetting(let key): "\(key) is not set"
        case .invalidSetting(let message): message
        case .connectionFailed: "The database is not reachable"
        case .statementFailed: "The database refused the operation"
        case .migrationChanged(let schema, let version):
            "Migration \(version) was changed after it was applied to \(schema); add a new migration instead of editing an applied one"
        case .migrationFailed(let schema, let version, _): "Migration \(version) failed for \(schema); nothing of it was applied"
        case .unsafeIdentifier: "An identifier failed validation"
        case .toolFailed(let program, let status, _): "\(program) failed (exit status \(status))"
        }
    }

    /// Full detail for operators' logs and the CLI (which runs on the operator's own terminal).
    public var description: String {
        switch self {
        case .connectionFailed(let message): "database connection failed: \(message)"
        case .statementFailed(let state, let message): "statement failed [\(state)]: \(message)"
        case .migrationFailed(let schema, let version, let message): "migration \(version) failed for \(schema): \(message)"
        case .toolFailed(let program, let status, let message): "\(program) failed (exit status \(status)): \(message)"
        default: publicDetail
        }
    }

    /// The SQLSTATE of a failed statement, for mapping constraint violations to domain errors.
    public var sqlState: String? {
        if case .statementFailed(let state, _) = self { return state }
        return nil
    }
}
