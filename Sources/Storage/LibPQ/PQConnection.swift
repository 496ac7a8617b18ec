import CLibPQ
import Foundation
import KerbCore

/// A blocking libpq connection. PostgresNIO serves the request path; libpq does the two things
/// PostgresNIO cannot: run a multi-statement SQL script in one round trip (migrations,
/// onboarding) and pipeline several statements behind one Sync (the hot tenant read path).
///
/// Not `Sendable`: a connection belongs to one thread at a time (a `NIOThreadPool` job or a
/// pipeline worker). Error messages from the server are kept for operators' logs only and are
/// never echoed to users, because they may quote values.
final class PQConnection {
    private let raw: OpaquePointer

    init(_ config: DatabaseConfig, role: DatabaseConfig.Login) throws(StorageError) {
        try config.require(role)
        // Notices (e.g. "schema already exists, skipping") would go to stderr; keep warnings up.
        // TLS as DatabaseConfig says (sslmode, sslrootcert), like the PostgresNIO pool.
        let tls = config.libpqTLSParameters
        let keys = ["host", "port", "dbname", "user", "password", "application_name", "connect_timeout", "options"] + tls.map(\.key)
        let values =
            [
                config.host, String(config.port), config.database, config.username(role), config.password(role),
                "kerb-\(role.rawValue)", "10", "-c client_min_messages=warning",
            ] + tls.map(\.value)
        let conn = withCStringArray(keys) { k in withCStringArray(values) { v in PQconnectdbParams(k, v, 0) } }
        guard let conn else { throw StorageError.connectionFailed("out of memory") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            throw StorageError.connectionFailed(message.oneLine())
        }
        raw = conn
    }

    deinit { PQfinish(raw) }

    /// Runs a script of one or more statements through the simple-query protocol, discarding rows.
    /// Stops at the first failing statement; an explicit transaction is then left aborted, so
    /// callers that opened one must roll back.
    func execute(script: String) throws(StorageError) {
        guard let result = PQexec(raw, script) else { throw lastError() }
        defer { PQclear(result) }
        try check(result)
    }

    /// Runs one statement with bound text parameters and returns its rows as text.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws(StorageError) -> [[String?]] {
        let result = withCStringArray(parameters) { params in
            PQexecParams(raw, sql, Int32(parameters.count), nil, params, nil, nil, 0)
        }
        guard let result else { throw lastError() }
        defer { PQclear(result) }
        try check(result)
        return rows(of: result)
    }

    // MARK: pipeline mode

    func enterPipelineMode() throws(StorageError) {
        guard PQenterPipelineMode(raw) == 1 else { throw lastError() }
    }

    func prepare(_ name: String, _ sql: String) throws(StorageError) {
        guard let result = PQprepare(raw, name, sql, 0, nil) else { throw lastError() }
        defer { PQclear(result) }
        try check(result)
    }

    /// Queues the preparation of a named statement in pipeline mode; its result is read in turn.
    func sendPrepare(_ name: String, _ sql: String) throws(StorageError) {
        guard PQsendPrepare(raw, name, sql, 0, nil) == 1 else { throw lastError() }
    }

    /// Queues a prepared statement in pipeline mode without waiting for its result.
    func sendPrepared(_ name: String, _ parameters: [String?]) throws(StorageError) {
        let ok = withCStringArray(parameters) { params in
            PQsendQueryPrepared(raw, name, Int32(parameters.count), params, nil, nil, 0)
        }
        guard ok == 1 else { throw lastError() }
    }

    /// Ends the current pipeline segment: everything queued since the last sync runs as one
    /// implicit transaction, so a `set_config(…, true)` before a query binds that query.
    func pipelineSync() throws(StorageError) {
        guard PQpipelineSync(raw) == 1 else { throw lastError() }
    }

    /// Reads the next result of the pipeline. Returns `.rows` for a statement's result,
    /// `.failed` for a statement that failed or was skipped after an earlier failure, and `.sync`
    /// at the end of a segment. libpq returns a NULL between statements, which is skipped.
    func nextPipelineResult() throws(StorageError) -> PipelineResult {
        // NULL separates one statement's results from the next; two NULLs in a row mean the
        // connection broke.
        guard let result = PQgetResult(raw) ?? PQgetResult(raw) else { throw lastError() }
        return classify(result)
    }

    enum PipelineResult {
        case rows([[String?]])
        case failed(String)
        case sync
    }

    private func classify(_ result: OpaquePointer) -> PipelineResult {
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_PIPELINE_SYNC: return .sync
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK: return .rows(rows(of: result))
        case PGRES_PIPELINE_ABORTED: return .failed("skipped after an earlier failure in the pipeline")
        default: return .failed(String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines())
        }
    }

    // MARK: helpers

    /// Quotes a value as an SQL string literal for scripts that cannot take bound parameters.
    func literal(_ value: String) throws(StorageError) -> String {
        guard let escaped = PQescapeLiteral(raw, value, value.utf8.count) else { throw lastError() }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    private func check(_ result: OpaquePointer) throws(StorageError) {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message = String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines()
            throw StorageError.statementFailed(sqlState: sqlState, message: message)
        }
    }

    private func rows(of result: OpaquePointer) -> [[String?]] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        guard rowCount > 0 else { return [] }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(Int(columnCount))
            for c in 0..<columnCount {
                row.append(PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
            rows.append(row)
        }
        return rows
    }

    private func lastError() -> StorageError {
        .connectionFailed(String(cString: PQerrorMessage(raw)).trimmingTrailingNewlines())
    }

    var isBroken: Bool { PQstatus(raw) != CONNECTION_OK }
}

/// Bridges Swift strings to a `const char * const *` that lives for the duration of `body`.
private func withCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { owned.forEach { free($0) } }
    owned.append(nil)
    return owned.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}

extension String {
    /// libpq messages span lines ("…\n\tIs the server running…"); CLI errors are one line.
    func oneLine() -> String {
        split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" || s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
