import Audit
import Crypto
import Documents
import Foundation
import KerbCore
import Keys
import Storage
import Tenancy

extension BackupService {
    public struct Restored: Sendable, Equatable {
        public let backup: UUID
        public let council: String
        /// The schema the restore replaced, kept until `confirmRestore`.
        public let keptSchema: String
        public let seconds: Double
    }

    /// Puts council `slug` back to backup `id`, touching no other council. Refused for another
    /// council's backup, an incomplete or pruned one, or one whose files do not check.
    ///
    /// In one transaction (`pg_restore` into `psql --single-transaction`): the live schema is
    /// renamed aside, the backup is restored under the council's schema name, every table is
    /// checked against the manifest, the restore is recorded in the control plane and in the
    /// restored audit trail, and the trail is anchored again. Any difference rolls all of it
    /// back and the council is as it was. The council is suspended meanwhile, so no request
    /// writes to a schema that is about to be set aside.
    public func restore(_ slug: String, backup id: UUID, by actor: String) async throws -> Restored {
        let tenant = try await lifecycle.show(slug).tenant
        let record = try await record(id)
        let scope = tenant.scope
        guard record.tenantID == tenant.id else {
            try await database.transaction { session in
                try TenantLifecycle.recordEvent(
                    session, tenantID: tenant.id.uuidString, event: "restore-refused", actor: actor,
                    detail: "backup \(id.uuidString.lowercased()) belongs to another council")
            }
            throw BackupError.otherCouncil(backup: id.uuidString.lowercased(), council: tenant.slug.rawValue)
        }
        guard tenant.status != .offboarded, record.completedAt != nil, !record.pruned else {
            throw BackupError.notRestorable(
                "backup \(id.uuidString.lowercased()) cannot be restored (incomplete, pruned, or the council is offboarded)")
        }
        let manifest = try checkFiles(record, schema: scope.schema)
        let keys = lifecycle.keys
        let dataKey = try await database.session { session in try keys.current(session, scope) }
        let key = try contentKey(manifest, id, dataKey: dataKey)
        let kept = scope.schema + "_before_" + String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8))
        let script = try Self.restoreScript(
            manifest, scope: scope, database: database.config.database, kept: kept, tenantID: tenant.id, backup: id, actor: actor)

        let started = Date()
        let wasActive = tenant.isActive
        if wasActive {
            _ = try await lifecycle.suspend(slug, reason: "restoring backup \(id.uuidString.lowercased())", actor: actor)
            // Web processes learn of a suspension within their tenant cache's lifetime: wait it
            // out, so no request is still writing to the schema about to be set aside.
            try await Task.sleep(for: suspensionReach)
        }
        do {
            let tools = tools
            let dump = URL(fileURLWithPath: record.folder).appendingPathComponent(BackupArchive.dumpFile)
            let databaseName = database.config.database
            try await database.blocking {
                let reader = try BackupArchive.SealedReader(dump, key: key, id: id)
                try tools.run(
                    [
                        PostgresTools.Step("pg_restore", ["--role=\(scope.ownerRole)", "--file=-"], database: databaseName),
                        PostgresTools.Step(
                            "psql",
                            [
                                "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-c", script.before, "-f", "-", "-c",
                                script.after,
                            ],
                            database: databaseName),
                    ], input: { try reader.next() })
            }
        } catch {
            if wasActive {
                _ = try? await lifecycle.resume(slug, reason: "restore of backup \(id.uuidString.lowercased()) refused", actor: actor)
            }
            if case StorageError.toolFailed(_, _, let message) = error {
                // The script's own checks raise "kerb: …"; anything else is PostgreSQL's refusal.
                let reason =
                    message.range(of: "kerb: ").map {
                        String(message[$0.upperBound...].prefix { $0 != "\n" }).components(separatedBy: " / ")[0]
                    }
                    ?? "PostgreSQL refused the restore"
                throw BackupError.restoreRefused(reason)
            }
            throw error
        }
        // Documents removed from the live store since the backup come back from its copies.
        let copies = BackupArchive.documentStore(URL(fileURLWithPath: record.folder, isDirectory: true))
        for document in manifest.documents {
            if let present = try? await blobs.read(scope.schema, document.id) {
                await present.close()
                continue
            }
            let reader = try await copies.read(scope.schema, document.id)
            let writer = try await blobs.create(scope.schema, document.id)
            while let piece = try await reader.next() { try await writer.append(piece) }
            await reader.close()
            try await writer.commit()
        }
        if wasActive { _ = try await lifecycle.resume(slug, reason: "restored from backup \(id.uuidString.lowercased())", actor: actor) }
        return Restored(backup: id, council: tenant.slug.rawValue, keptSchema: kept, seconds: Date().timeIntervalSince(started))
    }

    /// The SQL around the restored schema in the restore's transaction: `before` sets the live
    /// schema aside (as its owner, allowed to create schemas for this transaction only); `after`
    /// checks every table against the manifest, takes that allowance back, and records the
    /// restore in the control plane and the council's own trail, then anchors the trail.
    static func restoreScript(
        _ manifest: BackupManifest, scope: TenantScope, database: String, kept: String, tenantID: UUID, backup: UUID, actor: String
    ) throws -> (before: String, after: String) {
        let schema = quoteIdentifier(scope.schema)
        let owner = quoteIdentifier(scope.ownerRole)
        let db = quoteIdentifier(database)
        for table in manifest.tables {
            guard table.name.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) != nil,
                table.checksum.range(of: "^-?[0-9]+$", options: .regularExpression) != nil
            else { throw BackupError.doesNotVerify(["\(BackupArchive.manifestFile) names a table Kerb would not make"]) }
        }
        let expected = manifest.tables.map { "(\(literal($0.name)), \(literal(String($0.rows)))::text, \(literal($0.checksum))::text)" }
            .joined(separator: ", ")
        let names = manifest.tables.map { literal($0.name) }.joined(separator: ", ")
        let id = backup.uuidString.lowercased()
        let detail = "restored from backup \(id) (taken \(manifest.takenAt)); the schema it replaced is kept as \(kept) until confirmed"
        let before = """
            SET LOCAL standard_conforming_strings = on;
            GRANT CREATE ON DATABASE \(db) TO \(owner);
            SET LOCAL ROLE \(owner);
            ALTER SCHEMA \(schema) RENAME TO \(quoteIdentifier(kept));
            """
        let after = """
            SET LOCAL ROLE \(owner);
            \(TableChecksum.fixedOutput);
            DO $kerb$
            DECLARE
                expected record;
                found_rows text;
                found_sum text;
                extra text;
            BEGIN
                FOR expected IN SELECT * FROM (VALUES \(expected.isEmpty ? "('', '', '')" : expected)) AS m(name, rows, checksum) WHERE m.name <> '' LOOP
                    IF to_regclass(\(literal(scope.schema + ".")) || quote_ident(expected.name)) IS NULL THEN
                        RAISE EXCEPTION 'kerb: table % is missing after the restore', expected.name;
                    END IF;
                    EXECUTE 'SELECT ' || \(literal(TableChecksum.selectList)) || ' FROM ' || quote_ident(\(literal(scope.schema))) || '.' || quote_ident(expected.name) || ' t'
                        INTO found_rows, found_sum;
                    IF found_rows <> expected.rows OR found_sum <> expected.checksum THEN
                        RAISE EXCEPTION 'kerb: table % does not match the backup after the restore (% rows, % in the backup)', expected.name, found_rows, expected.rows;
                    END IF;
                END LOOP;
                SELECT string_agg(c.relname, ', ') INTO extra FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = \(literal(scope.schema)) AND c.relkind IN ('r', 'p') AND c.relname NOT IN (\(names.isEmpty ? "''" : names));
                IF extra IS NOT NULL THEN
                    RAISE EXCEPTION 'kerb: tables % appear after the restore but are not in the backup', extra;
                END IF;
            END
            $kerb$;
            RESET ROLE;
            REVOKE CREATE ON DATABASE \(db) FROM \(owner);
            INSERT INTO kerb_control.backup_restores (tenant_id, backup_id, kept_schema, restored_by)
                VALUES (\(literal(tenantID.uuidString))::uuid, \(literal(id))::uuid, \(literal(kept)), \(literal(actor)));
            INSERT INTO kerb_control.tenant_events (tenant_id, event, actor, detail)
                VALUES (\(literal(tenantID.uuidString))::uuid, 'restored', \(literal(actor)), \(literal(detail)));
            SET LOCAL ROLE \(quoteIdentifier(scope.requestRole));
            SET LOCAL search_path = \(schema);
            INSERT INTO audit_events (actor, action, target, outcome, detail)
                VALUES (\(literal(actor)), 'backup.restored', \(literal(id)), 'done', \(literal(detail)));
            SELECT set_config('kerb.anchor_rows', count(*)::text, true),
                   set_config('kerb.anchor_head', coalesce((SELECT encode(hash, 'hex') FROM audit_events ORDER BY seq DESC LIMIT 1), ''), true)
            FROM audit_events;
            RESET ROLE;
            SET LOCAL search_path = kerb_control;
            INSERT INTO kerb_control.audit_anchors (schema_name, row_count, head_hash, anchored_by)
                VALUES (\(literal(scope.schema)), current_setting('kerb.anchor_rows')::bigint,
                        decode(nullif(current_setting('kerb.anchor_head'), ''), 'hex'), \(literal("restore of backup \(id) by \(actor)")));
            """
        return (before, after)
    }

    /// A SQL string literal (standard conforming strings, set by the script itself).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\u{0}", with: "").replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Drops the schemas set aside by the council's restores, once someone has confirmed the
    /// restored council is right. Returns their names.
    public func confirmRestore(_ slug: String, by actor: String) async throws -> [String] {
        let tenant = try await lifecycle.show(slug).tenant
        let scope = tenant.scope
        let tenantID = tenant.id.uuidString
        return try await database.transaction { session in
            let waiting = try session.query(
                "SELECT id::text, kept_schema FROM kerb_control.backup_restores WHERE tenant_id = $1::uuid AND confirmed_at IS NULL",
                [tenantID]
            ).compactMap { row -> (String, String)? in
                guard let id = row[0], let kept = row[1] else { return nil }
                return (id, kept)
            }
            guard !waiting.isEmpty else { throw BackupError.nothingToConfirm(slug) }
            for (id, kept) in waiting {
                try session.dropSetAside(scope, kept)
                try session.query(
                    "UPDATE kerb_control.backup_restores SET confirmed_at = now(), confirmed_by = $2 WHERE id = $1::bigint", [id, actor])
                try TenantLifecycle.recordEvent(
                    session, tenantID: tenantID, event: "restore-confirmed", actor: actor, detail: "schema \(kept) dropped")
            }
            try session.enterTenant(scope)
            try AuditLog.record(
                AuditEvent(
                    actorID: nil, actor: actor, action: "backup.restore-confirmed", target: scope.schema,
                    detail: "kept schemas dropped: " + waiting.map(\.1).joined(separator: ", ")), on: session)
            try session.leaveTenant()
            return waiting.map(\.1)
        }
    }
}
