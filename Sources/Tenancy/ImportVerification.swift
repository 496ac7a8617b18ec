import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Keys
import Storage

/// The check an import ends with, the import's counterpart of `kerb tenant export verify`: the
/// council, read back in one snapshot, holds exactly what was imported, and every document opens
/// under the council's key with the SHA-256 the source recorded.
///
/// For a Kerb export every imported table is compared row for row, every column, with what the
/// import wrote, which is the export's rows except what belongs to the new council (the
/// profile's authority, name and band; users' authenticator secrets; documents' sealed keys,
/// which are checked by opening the documents instead). Audit entries after the export's
/// position (`tenant.imported`) are the import's own, and the whole trail must verify as a chain.
/// For legacy files each created row is looked up by its key (Kerb's text forms of dates differ
/// from the template's).
extension TenantImport {
    func verify(_ plan: ImportPlan, _ council: TargetCouncil, dataKey: DataKey, actor: String) async throws {
        let scope = council.scope
        var problems: [String] = try await database.transaction { session in
            try session.readOnlySnapshot()
            try session.enterTenant(scope)
            return try plan.tables.flatMap { table in try Self.compare(session, scope, table, plan) }
        }
        let sealed: [UUID: Data] = try await database.transaction { session in
            try session.enterTenant(scope)
            return Dictionary(
                try session.query("SELECT id::text, encode(sealed_key, 'base64') FROM documents").compactMap { row in
                    guard let id = row[0].flatMap(UUID.init(uuidString:)), let key = row[1].flatMap(Data.init(postgresBase64:)) else {
                        return nil
                    }
                    return (id, key)
                }, uniquingKeysWith: { first, _ in first })
        }
        for document in plan.documents {
            guard let key = sealed[document.id] else {
                problems.append("document \(document.file) has no row")
                continue
            }
            if try await Self.hash(DocumentVault.open(document.id, sealedKey: key, dataKey: dataKey, store: blobs, scope))
                != document.sha256
            {
                problems.append("document \(document.file) does not open to its SHA-256")
            }
        }
        do { try await database.session { session in _ = try AuditAnchors.verify(session, scope) } } catch {
            problems.append("the audit trail does not verify: \(error)")
        }
        guard problems.isEmpty else { throw TenancyError.importDoesNotVerify(problems) }
        try await database.transaction { session in
            try TenantLifecycle.recordEvent(
                session, tenantID: council.tenantID, event: "import-verified", actor: actor,
                detail: "\(plan.tables.reduce(0) { $0 + $1.rows.count }) rows, \(plan.documents.count) documents")
        }
    }

    static func hash(_ stream: DocumentStream) async throws -> String {
        var hash = SHA256()
        for try await piece in stream { hash.update(data: piece) }
        return Hex.encode(hash.finalize())
    }

    /// The differences between a table as imported and as the council now holds it.
    static func compare(_ session: AdminSession, _ scope: TenantScope, _ table: PlannedTable, _ plan: ImportPlan) throws -> [String] {
        let columns = try session.columns(scope, table: table.name).map(\.name)
        let picks = table.columns.map { columns.firstIndex(of: $0) }
        var live: [[String?]] = []
        try session.eachBatch(scope, table: table.name) { batch in
            live += batch.map { row in picks.map { index in index.flatMap { $0 < row.count ? row[$0] : nil } } }
        }
        guard case .kerbExport(_, let auditSeq) = plan.source else { return compareKeys(table, live) }
        if table.name == "audit_events", let seq = table.columns.firstIndex(of: "seq") {
            live = live.filter { row in (row[seq].flatMap { Int64($0) } ?? 0) <= auditSeq }
        }
        let ignored = table.name == "documents" ? table.columns.firstIndex(of: "sealed_key") : nil
        func line(_ row: [String?]) -> String {
            row.enumerated().map { $0.offset == ignored ? "" : ($0.element.map(TableFiles.quoted) ?? "") }.joined(separator: ",")
        }
        let imported = table.rows.map { line($0.values) }.sorted()
        let held = live.map(line).sorted()
        guard imported != held else { return [] }
        return ["table \(table.name) holds \(held.count) rows that differ from the \(imported.count) imported"]
    }

    /// Legacy rows: each created row's key (its first column: id or badge number) is there once.
    static func compareKeys(_ table: PlannedTable, _ live: [[String?]]) -> [String] {
        let held = Set(live.compactMap { $0.first ?? nil })
        let missing = table.rows.filter { row in !(row.values.first.flatMap { $0 }.map(held.contains) ?? false) }
        guard missing.isEmpty, live.count == table.rows.count else {
            return ["table \(table.name) holds \(live.count) rows; \(table.rows.count) were imported, \(missing.count) of them missing"]
        }
        return []
    }
}
