import Foundation
import Storage

/// Writes an import's rows in the caller's transaction, as the council's owner: tables in the
/// order their foreign keys need (and rows of a self-referencing table after the rows they
/// name), in batches, each under a savepoint so that a refused batch is written again row by
/// row to name the line the schema refused. The first refusal stops the import; the caller's
/// transaction rolls everything back.
enum ImportWriter {
    /// A row the schema refused, named by file and line.
    struct Refused: Error { let refusal: ImportRefusal }

    /// The council's tables, each after every table it references (ties by name).
    static func order(_ tables: [String], _ keys: [AdminSession.ForeignKey]) -> [String] {
        var needs: [String: Set<String>] = [:]
        for table in tables { needs[table] = [] }
        for key in keys where key.table != key.references && needs[key.table] != nil && needs[key.references] != nil {
            needs[key.table, default: []].insert(key.references)
        }
        var ordered: [String] = []
        var done: Set<String> = []
        while done.count < needs.count {
            let ready = needs.keys.filter { !done.contains($0) && needs[$0, default: []].isSubset(of: done) }.sorted()
            // A cycle between tables (none in the schema today): write the rest as they are.
            let next = ready.isEmpty ? needs.keys.filter { !done.contains($0) }.sorted() : ready
            ordered += next
            done.formUnion(next)
        }
        return ordered
    }

    /// The rows of a table with a foreign key to itself (a badge replacing another, a person
    /// linked to the record holding the same NI number), each after the row it names.
    static func ordered(_ table: PlannedTable, _ keys: [AdminSession.ForeignKey]) -> [(line: Int, values: [String?])] {
        let own = keys.filter { $0.table == table.name && $0.references == table.name }
        guard !own.isEmpty else { return table.rows }
        func key(_ row: [String?], _ columns: [String]) -> String? {
            var parts: [String] = []
            for column in columns {
                guard let index = table.columns.firstIndex(of: column), let value = row[index] else { return nil }
                parts.append(value)
            }
            return parts.joined(separator: "\u{1F}")
        }
        let named = own.map { fk in Set(table.rows.compactMap { key($0.values, fk.referenced) }) }
        var written = own.map { _ in Set<String>() }
        var pending = table.rows
        var result: [(line: Int, values: [String?])] = []
        var progress = true
        while !pending.isEmpty && progress {
            progress = false
            var later: [(line: Int, values: [String?])] = []
            for row in pending {
                let ready = own.indices.allSatisfy { index in
                    guard let wanted = key(row.values, own[index].columns), named[index].contains(wanted) else { return true }
                    return written[index].contains(wanted)
                }
                guard ready else {
                    later.append(row)
                    continue
                }
                for index in own.indices { if let mine = key(row.values, own[index].referenced) { written[index].insert(mine) } }
                result.append(row)
                progress = true
            }
            pending = later
        }
        return result + pending
    }

    /// Writes `table`'s rows; a refused row throws `Refused` naming its line.
    static func write(_ session: AdminSession, _ scope: TenantScope, _ table: PlannedTable, keys: [AdminSession.ForeignKey]) throws {
        guard !table.rows.isEmpty else { return }
        let inserter = try session.inserter(scope, table: table.name, columns: table.columns)
        let rows = ordered(table, keys)
        let size = max(1, min(500, 30_000 / max(1, table.columns.count)))
        var start = 0
        while start < rows.count {
            let batch = Array(rows[start..<min(rows.count, start + size)])
            start += size
            try session.savepoint("kerb_import_batch")
            do throws(StorageError) {
                try session.insert(inserter, batch.map(\.values))
                try session.release("kerb_import_batch")
            } catch {
                try session.rollback(to: "kerb_import_batch")
                try locate(session, inserter, table, batch)
                throw Refused(refusal: ImportRefusal(file: table.file, reason: reason(error)))
            }
        }
    }

    /// Writes a refused batch row by row to find the row the schema refuses.
    static func locate(
        _ session: AdminSession, _ inserter: AdminSession.RowInserter, _ table: PlannedTable, _ batch: [(line: Int, values: [String?])]
    ) throws {
        for row in batch {
            do throws(StorageError) { try session.insert(inserter, [row.values]) } catch {
                throw Refused(refusal: ImportRefusal(file: table.file, line: row.line, reason: reason(error)))
            }
        }
    }

    /// What the schema refused, by SQLSTATE and constraint name: PostgreSQL's own message can
    /// quote the value (personal data), so it is not repeated.
    static func reason(_ error: StorageError) -> String {
        guard case .statementFailed(let state, let message) = error else { return "the database refused it" }
        let constraint = message.firstMatch(of: /constraint "([A-Za-z0-9_]+)"/).map { " (\($0.1))" } ?? ""
        switch state {
        case "23505": return "repeats a value that must be unique\(constraint)"
        case "23503": return "refers to a row that is not there\(constraint)"
        case "23514": return "breaks a rule of the schema\(constraint)"
        case "23502": return "leaves a required column empty"
        case let state where state.hasPrefix("22"): return "holds a value its column's type does not take (SQLSTATE \(state))"
        default: return "the database refused it (SQLSTATE \(state))"
        }
    }
}
