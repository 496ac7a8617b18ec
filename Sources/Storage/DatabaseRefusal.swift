import PostgresNIO

/// What the layers above may know of an error PostgreSQL raised: its SQLSTATE and constraint
/// name, never its message or detail (which quote the values a person entered). The web layer
/// answers and logs from this, so it needs no database driver of its own.
public struct DatabaseRefusal: Sendable, Equatable {
    public let sqlState: String?
    public let constraint: String?
    /// The driver's own error code (e.g. `server`, `connectionClosed`).
    public let code: String

    /// The facts of `error` if PostgreSQL or its driver raised it (inside a transaction too).
    public init?(_ error: any Error) {
        var error = error
        if let wrapped = error as? PostgresTransactionError, let inner = wrapped.closureError ?? wrapped.beginError ?? wrapped.commitError {
            error = inner
        }
        guard let error = error as? PSQLError else { return nil }
        sqlState = error.serverInfo?[.sqlState]
        constraint = error.serverInfo?[.constraintName]
        code = "\(error.code)"
    }

    /// The caller's own error when a transaction's body threw it (so domain errors keep their
    /// kind however they were wrapped); otherwise `error` itself.
    public static func underlying(_ error: any Error) -> any Error {
        if let error = error as? PostgresTransactionError, let inner = error.closureError { return inner }
        return error
    }

    /// SQLSTATEs that mean "this input", not "this server": check violation, value too long,
    /// invalid text for a type, invalid byte sequence, index row too large, bad date or number.
    public static let inputStates: Set<String> = ["23514", "22001", "22P02", "22021", "54000", "22007", "22008", "22003"]

    /// The schema refused the values (its last line of input checks), not the server failing.
    public var refusedInput: Bool { sqlState.map(Self.inputStates.contains) ?? false }

    /// unique_violation: the row exists already (a name taken, a membership held).
    public static let uniqueViolation = "23505"
    /// foreign_key_violation: what the row points at is gone.
    public static let foreignKeyViolation = "23503"

    /// True when PostgreSQL refused with `sqlState` (raised inside a transaction too).
    public static func refused(_ error: any Error, with sqlState: String) -> Bool {
        DatabaseRefusal(error)?.sqlState == sqlState
    }
}
