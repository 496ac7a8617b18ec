import PostgresNIO
import Testing

/// The PostgreSQL error behind `error`: thrown as it is, or inside a PostgresNIO transaction.
public func postgresError(_ error: any Error) -> PSQLError? {
    if let psql = error as? PSQLError { return psql }
    if let transaction = error as? PostgresTransactionError {
        return (transaction.closureError ?? transaction.commitError ?? transaction.beginError).flatMap(postgresError)
    }
    return nil
}

/// The SQLSTATE of the PostgreSQL error behind `error`, if it is one.
public func sqlState(of error: any Error) -> String? {
    postgresError(error)?.serverInfo?[.sqlState]
}

/// Expects `body` to fail with a PostgreSQL error of SQLSTATE `code` (e.g. `"42501"`,
/// insufficient_privilege; `"23514"`, check_violation) and returns that error for further
/// checks. Anything else, or no error at all, is recorded as an issue at the caller.
@discardableResult
public func expectSQLState(
    _ code: String, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> PSQLError? {
    let context = comment.map { " (\($0))" } ?? ""
    do {
        try await body()
        Issue.record("expected SQLSTATE \(code)\(context), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch {
        guard let psql = postgresError(error) else {
            Issue.record("expected SQLSTATE \(code)\(context), but \(String(reflecting: error)) was thrown", sourceLocation: sourceLocation)
            return nil
        }
        let state = psql.serverInfo?[.sqlState]
        if state != code {
            Issue.record(
                "expected SQLSTATE \(code)\(context), got \(state ?? "none"): \(psql.serverInfo?[.message] ?? String(reflecting: psql))",
                sourceLocation: sourceLocation)
        }
        return psql
    }
}
