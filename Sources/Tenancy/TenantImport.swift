import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Keys
import Storage

/// Brings a council's existing records into an onboarded, empty council (issue 11, item 7; seed
/// 000 prices this as consultancy): Kerb's own export, so a council can move between Kerb
/// deployments, or a legacy system's records in the template of docs/import-template.md.
///
/// Everything is read and checked before anything is written, and a dry run (the default) goes
/// further: it writes every row in a transaction that is then rolled back, so the schema's own
/// constraints have checked it too. `apply` stores the documents (encrypted under the new
/// council's key) and then writes every row in one transaction, which also records
/// `tenant.imported` in the council's audit trail; a failure rolls the rows back and removes the
/// documents' blobs (the orphan sweep takes any it could not). It ends by checking the council
/// against what was imported (`verify`).
///
/// A Kerb export replaces what onboarding seeded (users, groups, policy, profile contacts) and
/// carries the source's audit trail as it was written, hashes and all, so it still verifies and
/// still matches anchors taken before the move; `tenant.imported` is chained after it and the
/// new head anchored. Legacy files add people, applications, badges and documents beside what
/// onboarding seeded; the audit trail records the import as one entry.
public struct TenantImport: Sendable {
    public let lifecycle: TenantLifecycle
    public let blobs: any BlobStore

    public init(lifecycle: TenantLifecycle, blobs: any BlobStore) {
        self.lifecycle = lifecycle
        self.blobs = blobs
    }

    var database: AdminDatabase { lifecycle.database }

    /// Reads and checks `folder`, then writes it into the council in a transaction that is rolled
    /// back: the report says what an import would create and everything it refuses. Writes nothing.
    public func dryRun(_ slug: String, from folder: URL, actor: String) async throws -> ImportReport {
        let (council, plan) = try await prepare(slug, folder)
        guard plan.refusals.isEmpty else { return plan.report() }
        do {
            try await write(plan, council, sealedKeys: [:], actor: actor, keep: false)
        } catch let refused as ImportWriter.Refused {
            var report = plan.report()
            report.refusals = [refused.refusal]
            return report
        }
        return plan.report()
    }

    /// Imports `folder` into the council, or throws `importRefused` having written nothing.
    public func apply(_ slug: String, from folder: URL, actor: String) async throws -> ImportReport {
        let prepared = try await prepare(slug, folder)
        let council = prepared.0
        var plan = prepared.1
        guard plan.refusals.isEmpty else { throw TenancyError.importRefused(plan.refusals) }
        let keys = lifecycle.keys
        let scope = council.scope
        let dataKey = try await database.transaction { session in try keys.current(session, scope) }
        var written: [UUID] = []
        do {
            var sealed: [UUID: Data] = [:]
            for document in plan.documents {
                written.append(document.id)
                sealed[document.id] = try await store(document, dataKey: dataKey, scope)
            }
            Self.seal(&plan, sealed)
            try await write(plan, council, sealedKeys: sealed, actor: actor, keep: true, keyVersion: dataKey.version)
        } catch {
            for id in written { try? await blobs.delete(scope.schema, id.uuidString.lowercased()) }
            if let refused = error as? ImportWriter.Refused { throw TenancyError.importRefused([refused.refusal]) }
            throw error
        }
        try await verify(plan, council, dataKey: dataKey, actor: actor)
        return plan.report(applied: true)
    }

    // MARK: reading

    /// The council, and the folder read and checked against its schema.
    func prepare(_ slug: String, _ folder: URL) async throws -> (TargetCouncil, ImportPlan) {
        let tenant = try await lifecycle.show(slug).tenant
        guard tenant.status != .offboarded else {
            throw TenancyError.wrongStatus(slug: slug, status: "offboarded", wanted: "active or suspended")
        }
        let scope = tenant.scope
        let council = TargetCouncil(
            slug: slug, scope: scope, tenantID: tenant.id.uuidString, nation: tenant.nation.rawValue,
            profile: ["authority": tenant.authoritySlug, "display_name": tenant.displayName, "band": tenant.band.rawValue])
        let manifest = try Self.manifest(folder)
        let replaces = manifest != nil
        let target = try await database.transaction { session in
            try session.readOnlySnapshot()
            try Self.requireEmpty(session, council, replacesOnboarding: replaces)
            return try TargetSchema.read(session, scope)
        }
        var plan: ImportPlan
        if let manifest {
            plan = ExportImportSource.plan(folder, manifest: manifest, target: target, council: council)
        } else if LegacyImportSource.recognises(folder) {
            plan = LegacyImportSource.plan(folder)
        } else {
            throw TenancyError.importSourceNotRecognised(
                "\(folder.path) has neither manifest.json (a Kerb export) nor people.csv (legacy files)")
        }
        if let nation = plan.nation, nation != council.nation {
            plan.refusals.append(
                ImportRefusal(
                    file: "tables/profile.csv", line: 2, column: "nation",
                    reason: "the exported council is in \(nation), this one in \(council.nation): local policy's limits differ"))
        }
        let known = Set(target.tables.keys)
        let read = plan.tables
        plan.tables = ImportWriter.order(read.map(\.name).filter(known.contains), target.foreignKeys).compactMap { name in
            read.first { $0.name == name }
        }
        return (council, plan)
    }

    /// The export's manifest, nil when the folder has none; one that does not decode is refused.
    static func manifest(_ folder: URL) throws -> ExportManifest? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("manifest.json").path) else { return nil }
        guard let manifest = try? JSONDecoder().decode(ExportManifest.self, from: data), manifest.format == "kerb-export/1" else {
            throw TenancyError.importSourceNotRecognised("manifest.json is not a Kerb export manifest (kerb-export/1)")
        }
        return manifest
    }

    /// Refuses a council with casework, or (when the import replaces onboarding's rows) with
    /// anyone besides the administrator onboarding invited.
    static func requireEmpty(_ session: AdminSession, _ council: TargetCouncil, replacesOnboarding: Bool) throws {
        try session.enterTenant(council.scope)
        let counts = try session.query(
            """
            SELECT (SELECT count(*) FROM people) + (SELECT count(*) FROM applications) + (SELECT count(*) FROM badges)
                + (SELECT count(*) FROM enforcement_cases) + (SELECT count(*) FROM documents), (SELECT count(*) FROM users)
            """
        ).first
        try session.leaveTenant()
        let casework = counts?[0].flatMap { Int($0) } ?? 1
        let users = counts?[1].flatMap { Int($0) } ?? 2
        guard casework == 0, !replacesOnboarding || users <= 1 else { throw TenancyError.importTargetNotEmpty(council.slug) }
    }

    // MARK: writing

    /// Encrypts one document under the council's key into its blob; its SHA-256 must still be
    /// the one checked (the file could change between the check and now).
    func store(_ document: PlannedDocument, dataKey: DataKey, _ scope: TenantScope) async throws -> Data {
        // The council holds no documents, so a blob by this name is an earlier attempt's orphan.
        try? await blobs.delete(scope.schema, document.id.uuidString.lowercased())
        let stored = try await DocumentVault.store(
            FileChunks(url: document.url), id: document.id, dataKey: dataKey, store: blobs, scope, limitBytes: Int.max,
            allowed: Set(DocumentType.allCases))
        guard Hex.encode(stored.sha256) == document.sha256, stored.byteCount == document.bytes else {
            throw ImportWriter.Refused(refusal: ImportRefusal(file: document.file, reason: "changed while it was being imported"))
        }
        return stored.sealedKey
    }

    /// Puts each document's key, sealed with the new council's data key, on its row.
    static func seal(_ plan: inout ImportPlan, _ sealed: [UUID: Data]) {
        guard let index = plan.tables.firstIndex(where: { $0.name == "documents" }),
            let idColumn = plan.tables[index].columns.firstIndex(of: "id"),
            let keyColumn = plan.tables[index].columns.firstIndex(of: "sealed_key")
        else { return }
        for row in plan.tables[index].rows.indices {
            guard let id = plan.tables[index].rows[row].values[idColumn].flatMap(UUID.init(uuidString:)), let key = sealed[id] else {
                continue
            }
            plan.tables[index].rows[row].values[keyColumn] = "\\x" + Hex.encode(key)
        }
    }

    /// Rolls a dry run's transaction back once everything is written.
    struct DryRunDone: Error {}

    /// Writes the plan in one transaction; `keep` false rolls it back (a dry run).
    func write(
        _ plan: ImportPlan, _ council: TargetCouncil, sealedKeys: [UUID: Data], actor: String, keep: Bool, keyVersion: Int? = nil
    ) async throws {
        let keys = lifecycle.keys
        do {
            try await database.transaction { session in
                _ = try session.query("SELECT 1 FROM kerb_control.tenants WHERE id = $1::uuid FOR UPDATE", [council.tenantID])
                if let keyVersion, try keys.current(session, council.scope).version != keyVersion {
                    throw KeysError.sealedUnreadable  // rotated meanwhile: the sealed keys would not open
                }
                try Self.requireEmpty(session, council, replacesOnboarding: plan.replacesOnboarding)
                try Self.writeRows(session, plan, council)
                if keep { try Self.advanceSequences(session, plan, council.scope) }
                try Self.record(session, plan, council, actor: actor)
                if !keep { throw DryRunDone() }
            }
        } catch is DryRunDone {}
    }

    /// Tables whose triggers refuse changes after the fact; an import writes them as exported.
    static let appendOnlyTables = ["audit_events", "record_views"]

    /// As the owner: onboarding's rows out (a Kerb export), every table in, the audit chain
    /// carried as written and checked.
    static func writeRows(_ session: AdminSession, _ plan: ImportPlan, _ council: TargetCouncil) throws {
        let scope = council.scope
        let keys = try session.foreignKeys(scope)
        try session.enterTenantAsOwner(scope)
        // The append-only tables (the audit trail and the record-view log) are carried as written.
        let existing = Set(try session.tables(scope))
        let appendOnly = Self.appendOnlyTables.filter { existing.contains($0) }
        if plan.replacesOnboarding {
            for table in appendOnly { try session.setUserTriggers(scope, table: table, enabled: false) }
            for table in ImportWriter.order(try session.tables(scope), keys).reversed() { try session.deleteAll(scope, table: table) }
        }
        for table in plan.tables { try ImportWriter.write(session, scope, table, keys: keys) }
        if plan.replacesOnboarding {
            for table in appendOnly { try session.setUserTriggers(scope, table: table, enabled: true) }
            if let bad = try session.query("SELECT audit_verify()::text").first?[0].flatMap({ $0 }) {
                throw ImportWriter.Refused(
                    refusal: ImportRefusal(
                        file: "tables/audit_events.csv", reason: "the audit chain does not verify from entry \(bad): it was changed"))
            }
        }
    }

    /// Moves the sequences past imported values: identity columns, and the numbers of
    /// applications' and enforcement cases' references (BB-YYYY-NNNNNN, EN-YYYY-NNNNNN).
    /// Sequences are not transactional, so a dry run leaves them alone.
    static func advanceSequences(_ session: AdminSession, _ plan: ImportPlan, _ scope: TenantScope) throws {
        for table in plan.tables { try session.advanceIdentities(scope, table: table.name) }
        try session.query(
            """
            SELECT setval('application_numbers', n) FROM (
                SELECT max(substring(reference FROM '^BB-[0-9]{4}-([0-9]{1,12})$')::bigint) AS n FROM applications) m
            WHERE n > 0
            """)
        try session.query(
            """
            SELECT setval('enforcement_numbers', n) FROM (
                SELECT max(substring(reference FROM '^EN-[0-9]{4}-([0-9]{1,12})$')::bigint) AS n FROM enforcement_cases) m
            WHERE n > 0
            """)
    }

    /// `tenant.imported` in the council's trail (chained by its trigger after whatever trail was
    /// carried), the new head anchored, and the lifecycle event.
    static func record(_ session: AdminSession, _ plan: ImportPlan, _ council: TargetCouncil, actor: String) throws {
        let summary = plan.report()
        let detail =
            (plan.replacesOnboarding ? "Kerb export" : "legacy files") + ": "
            + summary.creates.filter { $0.rows > 0 }.map { "\($0.table) \($0.rows)" }.joined(separator: ", ")
            + "; documents \(summary.documents)"
        try session.enterTenant(council.scope)
        try AuditLog.record(
            AuditEvent(
                actorID: nil, actor: actor, action: "tenant.imported", target: council.scope.schema, detail: String(detail.prefix(2000))),
            on: session)
        let head = try session.query(
            "SELECT count(*)::text, encode((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), 'hex') FROM audit_events"
        ).first
        try session.leaveTenant()
        if plan.replacesOnboarding, let rows = head?[0].flatMap({ $0 }), let hash = head?[1].flatMap({ $0 }) {
            try session.query(
                """
                INSERT INTO kerb_control.audit_anchors (schema_name, row_count, head_hash, anchored_by)
                VALUES ($1, $2::bigint, decode($3, 'hex'), $4)
                """, [council.scope.schema, rows, hash, actor])
        }
        try TenantLifecycle.recordEvent(
            session, tenantID: council.tenantID, event: "imported", actor: actor, detail: String(detail.prefix(2000)))
    }
}

/// A file's bytes a piece at a time, for the vault's streaming encryption.
struct FileChunks: AsyncSequence {
    typealias Element = Data
    typealias Failure = any Error
    let url: URL

    func makeAsyncIterator() -> Iterator { Iterator(handle: try? FileHandle(forReadingFrom: url)) }

    struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle?

        mutating func next() async throws -> Data? {
            guard let handle else { throw CocoaError(.fileReadNoSuchFile) }
            guard let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty else {
                try? handle.close()
                return nil
            }
            return chunk
        }
    }
}
