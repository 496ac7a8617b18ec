import Documents
import Foundation
import KerbCore
import Storage

/// The target council's schema as an import checks files against it: its tables with their
/// columns (names, types, nullability) and the foreign keys that order the writing.
struct TargetSchema: Sendable {
    let tables: [String: [AdminSession.Column]]
    let foreignKeys: [AdminSession.ForeignKey]

    static func read(_ session: AdminSession, _ scope: TenantScope) throws -> TargetSchema {
        var tables: [String: [AdminSession.Column]] = [:]
        for table in try session.tables(scope) { tables[table] = try session.columns(scope, table: table) }
        return TargetSchema(tables: tables, foreignKeys: try session.foreignKeys(scope))
    }
}

/// Reads and checks a Kerb export (`kerb tenant export`) as the rows and documents an import
/// writes. Everything is checked before anything is written: every file against the manifest's
/// SHA-256 and size, the tables and their columns against this deployment's schema, each CSV's
/// header and row count against the manifest, identifiers and lengths, and each document
/// against its row (id, SHA-256, type). Values are otherwise taken as PostgreSQL wrote them, and
/// the constraints of the schema check them again as they are written.
enum ExportImportSource {
    /// What the import changes on the way in, because it belongs to the new council, not the
    /// source (docs/import-template.md says why): the profile's authority, name and band, the
    /// users' authenticator secrets (sealed with the source deployment's key, which an export
    /// never carries) and the documents' sealed keys.
    static let profileOwnColumns = ["authority", "display_name", "band"]
    static let sealedUserColumns = ["totp_secret", "totp_enrolled_at", "totp_last_step", "totp_pending_secret", "totp_pending_at"]

    static func plan(_ folder: URL, manifest: ExportManifest, target: TargetSchema, council: TargetCouncil) -> ImportPlan {
        var refusals = checkFiles(folder, manifest)
        refusals += checkTables(manifest, target)
        var tables: [PlannedTable] = []
        var taken: Set<String> = []
        for entry in manifest.tables where target.tables[entry.name] == entry.columns && taken.insert(entry.name).inserted {
            switch read(folder, entry) {
            case .success(let table): tables.append(table)
            case .failure(let refused): refusals += refused.refusals
            }
        }
        refusals += checkValues(tables, target)
        var nation: String?
        if let index = tables.firstIndex(where: { $0.name == "profile" }) {
            nation = value(tables[index], "nation", row: 0)
            overwrite(&tables[index], with: council.profile)
        }
        if let index = tables.firstIndex(where: { $0.name == "users" }) {
            overwrite(&tables[index], with: Dictionary(uniqueKeysWithValues: sealedUserColumns.map { ($0, nil) }))
        }
        let (documents, documentRefusals) = documents(folder, manifest, tables)
        refusals += documentRefusals
        refusals += checkAuditPosition(manifest, tables)
        return ImportPlan(
            source: .kerbExport(council: manifest.council, auditSeq: manifest.auditSeq), tables: tables, documents: documents,
            refusals: refusals, replacesOnboarding: true, nation: nation)
    }

    /// A relative path inside the export: no parent steps, not absolute.
    static func safe(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
    }

    /// Every file the manifest lists is there with its recorded SHA-256 and size.
    static func checkFiles(_ folder: URL, _ manifest: ExportManifest) -> [ImportRefusal] {
        let files = manifest.tables.flatMap { [$0.csv, $0.json] } + manifest.documents.map(\.file)
        return files.compactMap { file in
            guard safe(file.path), let hashed = try? TenantExport.hash(folder.appendingPathComponent(file.path)) else {
                return ImportRefusal(file: file.path, reason: "is missing (or its path leaves the export)")
            }
            guard hashed.sha256 == file.sha256, hashed.bytes == file.bytes else {
                return ImportRefusal(file: file.path, reason: "does not match the SHA-256 and size in manifest.json: it was changed")
            }
            return nil
        }
    }

    /// The export has exactly this deployment's tables, each with the same columns.
    static func checkTables(_ manifest: ExportManifest, _ target: TargetSchema) -> [ImportRefusal] {
        var refusals: [ImportRefusal] = []
        let exported = Set(manifest.tables.map(\.name))
        if exported.count != manifest.tables.count {
            refusals.append(ImportRefusal(file: "manifest.json", reason: "names a table twice"))
        }
        for missing in Set(target.tables.keys).subtracting(exported).sorted() {
            refusals.append(ImportRefusal(file: "manifest.json", reason: "has no table \(missing), which this deployment's schema has"))
        }
        for entry in manifest.tables {
            guard let columns = target.tables[entry.name] else {
                refusals.append(ImportRefusal(file: entry.csv.path, reason: "table \(entry.name) is not in this deployment's schema"))
                continue
            }
            if columns != entry.columns {
                let theirs = Set(entry.columns.map { "\($0.name) \($0.type)\($0.nullable ? "" : " not null")" })
                let ours = Set(columns.map { "\($0.name) \($0.type)\($0.nullable ? "" : " not null")" })
                let differing = theirs.symmetricDifference(ours).sorted().joined(separator: ", ")
                refusals.append(
                    ImportRefusal(
                        file: entry.csv.path,
                        reason: "its columns differ from this deployment's schema (\(differing)): migrate the older of the two first"))
            }
        }
        return refusals
    }

    struct Refused: Error { let refusals: [ImportRefusal] }

    /// A table's CSV: the header is the manifest's columns, the rows as many as it says.
    static func read(_ folder: URL, _ entry: ExportManifest.Table) -> Result<PlannedTable, Refused> {
        let file = entry.csv.path
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path) else {
            return .failure(Refused(refusals: [ImportRefusal(file: file, reason: "cannot be read")]))
        }
        let records: [ImportCSV.Record]
        do throws(ImportCSV.Failure) { records = try ImportCSV.parse(data) } catch {
            return .failure(Refused(refusals: [ImportCSV.refusal(error, file: file)]))
        }
        let names = entry.columns.map(\.name)
        guard let header = records.first, header.fields == names.map(Optional.some) else {
            return .failure(Refused(refusals: [ImportRefusal(file: file, line: 1, reason: "the header is not the manifest's columns")]))
        }
        var refusals: [ImportRefusal] = []
        let rows = records.dropFirst().compactMap { record -> (line: Int, values: [String?])? in
            guard record.fields.count == names.count else {
                refusals.append(
                    ImportRefusal(file: file, line: record.line, reason: "has \(record.fields.count) fields, the header \(names.count)"))
                return nil
            }
            return (record.line, record.fields)
        }
        if records.count - 1 != entry.rows {
            refusals.append(ImportRefusal(file: file, reason: "has \(records.count - 1) rows, manifest.json says \(entry.rows)"))
        }
        guard refusals.isEmpty else { return .failure(Refused(refusals: refusals)) }
        return .success(PlannedTable(name: entry.name, file: file, columns: names, rows: rows))
    }

    /// Identifiers are well formed and text is within the schema's limits, named by line and
    /// column (the schema checks the rest as the rows are written).
    static func checkValues(_ tables: [PlannedTable], _ target: TargetSchema) -> [ImportRefusal] {
        var refusals: [ImportRefusal] = []
        for table in tables {
            let types = Dictionary((target.tables[table.name] ?? []).map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
            let uuids = table.columns.map { types[$0] == "uuid" }
            let limits = table.columns.map { FieldLimits.column("\(table.name).\($0)") }
            for row in table.rows {
                for (index, value) in row.values.enumerated() {
                    guard let value else { continue }
                    let column = table.columns[index]
                    if uuids[index], UUID(uuidString: value) == nil {
                        refusals.append(ImportRefusal(file: table.file, line: row.line, column: column, reason: "is not a UUID"))
                    } else if let limit = limits[index], value.count > limit {
                        refusals.append(
                            ImportRefusal(file: table.file, line: row.line, column: column, reason: "is longer than \(limit) characters"))
                    }
                }
            }
        }
        return refusals
    }

    static func value(_ table: PlannedTable, _ column: String, row: Int) -> String? {
        guard let index = table.columns.firstIndex(of: column), row < table.rows.count else { return nil }
        return table.rows[row].values[index]
    }

    static func overwrite(_ table: inout PlannedTable, with values: [String: String?]) {
        for (column, value) in values {
            guard let index = table.columns.firstIndex(of: column) else { continue }
            for row in table.rows.indices { table.rows[row].values[index] = value }
        }
    }

    /// Each document row has its file in the manifest, with the same SHA-256 and media type, and
    /// the file's first bytes are that type; no file is left without a row.
    static func documents(_ folder: URL, _ manifest: ExportManifest, _ tables: [PlannedTable]) -> ([PlannedDocument], [ImportRefusal]) {
        guard let table = tables.first(where: { $0.name == "documents" }) else { return ([], []) }
        let byID = Dictionary(manifest.documents.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var refusals: [ImportRefusal] = []
        var documents: [PlannedDocument] = []
        var seen: Set<String> = []
        let column = { (name: String) in table.columns.firstIndex(of: name) }
        guard let idIndex = column("id"), let shaIndex = column("sha256"), let typeIndex = column("content_type") else {
            return ([], [ImportRefusal(file: table.file, line: 1, reason: "lacks the id, sha256 or content_type column")])
        }
        for row in table.rows {
            guard let id = row.values[idIndex].flatMap(UUID.init(uuidString:)) else { continue }  // refused as not a UUID
            let key = id.uuidString.lowercased()
            seen.insert(key)
            guard let entry = byID[key] else {
                refusals.append(ImportRefusal(file: table.file, line: row.line, column: "id", reason: "has no file in manifest.json"))
                continue
            }
            guard entry.encryption == nil else {
                refusals.append(
                    ImportRefusal(
                        file: table.file, line: row.line, column: "id",
                        reason: "its document is sealed to the council's key: open the export with `kerb tenant export decrypt` first"))
                continue
            }
            if row.values[shaIndex] != "\\x" + entry.file.sha256 {
                refusals.append(
                    ImportRefusal(file: table.file, line: row.line, column: "sha256", reason: "differs from its file's SHA-256"))
            }
            let url = folder.appendingPathComponent(entry.file.path)
            let head = (try? FileHandle(forReadingFrom: url)).flatMap { handle in
                defer { try? handle.close() }
                return try? handle.read(upToCount: DocumentType.sniffBytes)
            }
            guard let type = head.flatMap({ DocumentType.sniff($0) }), row.values[typeIndex] == type.mediaType,
                entry.mediaType == type.mediaType
            else {
                refusals.append(
                    ImportRefusal(file: entry.file.path, reason: "its content is not the type its row and manifest.json record"))
                continue
            }
            documents.append(PlannedDocument(id: id, url: url, file: entry.file.path, sha256: entry.file.sha256, bytes: entry.file.bytes))
        }
        for entry in manifest.documents where !seen.contains(entry.id) {
            refusals.append(ImportRefusal(file: entry.file.path, reason: "has no row in \(table.file)"))
        }
        return (documents, refusals)
    }

    /// The audit trail runs 1…n without gaps and ends where the manifest says the export stands.
    static func checkAuditPosition(_ manifest: ExportManifest, _ tables: [PlannedTable]) -> [ImportRefusal] {
        guard let table = tables.first(where: { $0.name == "audit_events" }), let index = table.columns.firstIndex(of: "seq") else {
            return []
        }
        let seqs = table.rows.compactMap { $0.values[index].flatMap { Int64($0) } }.sorted()
        guard seqs.count == table.rows.count, Int64(seqs.count) == manifest.auditSeq,
            seqs.enumerated().allSatisfy({ $0.element == Int64($0.offset + 1) })
        else {
            return [ImportRefusal(file: table.file, reason: "the audit trail is not entries 1 to \(manifest.auditSeq) without gaps")]
        }
        return []
    }
}

/// What an import needs to know about the council it writes into.
struct TargetCouncil: Sendable {
    let slug: String
    let scope: TenantScope
    let tenantID: String
    let nation: String
    /// The profile columns that are the council's own (from its tenant record).
    let profile: [String: String?]
}
