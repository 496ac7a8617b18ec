import Crypto
import Foundation
import Storage

/// The operators' side of councils' data keys, in the control plane (`kerb_control.council_keys`):
/// one live version per schema (each council's, and supplier operations'), wrapped by the master
/// key. Destroying a council's keys is its crypto-shredding: without the data key its documents
/// and secrets, and any copy of them in a backup, no longer open.
///
/// Runs on admin sessions inside the caller's transaction, so a key is created in the same
/// transaction as the council it belongs to, and a rotation commits with the re-sealing it needs.
public struct CouncilKeys: Sendable {
    public let master: MasterKey

    public init(master: MasterKey) { self.master = master }

    /// Gives the schema a first data key if it has none; true if one was made.
    @discardableResult
    public func ensure(_ session: AdminSession, _ scope: TenantScope) throws -> Bool {
        let live = try session.query(
            "SELECT 1 FROM kerb_control.council_keys WHERE schema_name = $1 AND retired_at IS NULL", [scope.schema])
        guard live.isEmpty else { return false }
        try insert(session, scope.schema, DataKey.random(version: 1))
        return true
    }

    /// Gives every schema in `scopes` that has no live data key a first one (`kerb migrate`):
    /// one query when there is nothing to do.
    public func ensureAll(_ session: AdminSession, _ scopes: [TenantScope]) throws -> Int {
        let missing = try session.query(
            """
            SELECT s FROM unnest($1::text[]) s
            WHERE NOT EXISTS (SELECT 1 FROM kerb_control.council_keys k WHERE k.schema_name = s AND k.retired_at IS NULL)
            """, ["{" + scopes.map(\.schema).joined(separator: ",") + "}"])
        for row in missing { if let schema = row[0] { try insert(session, schema, DataKey.random(version: 1)) } }
        return missing.count
    }

    /// The live data key of `scope`, unwrapped.
    public func current(_ session: AdminSession, _ scope: TenantScope) throws -> DataKey {
        let rows = try session.query(
            "SELECT version, encode(wrapped, 'base64') FROM kerb_control.council_keys WHERE schema_name = $1 AND retired_at IS NULL",
            [scope.schema])
        guard let row = rows.first, let version = row[0].flatMap({ Int($0) }), let wrapped = row[1].flatMap(Data.init(postgresBase64:))
        else {
            throw KeysError.noDataKey(tenant: scope.schema)
        }
        guard let key = master.unwrap(wrapped, schema: scope.schema, version: version) else {
            throw KeysError.unwrapFailed(tenant: scope.schema)
        }
        return DataKey(version: version, key: key)
    }

    /// Starts a new version of the schema's data key and destroys the old one, after `reseal`
    /// has re-sealed everything the old one sealed (document keys, secrets) with the new one, in
    /// the caller's transaction. The documents themselves are not re-encrypted: each has its own
    /// key, and only that small key is sealed by the council's.
    public func rotate(
        _ session: AdminSession, _ scope: TenantScope, reseal: (_ old: DataKey, _ new: DataKey) throws -> Void
    ) throws -> (old: DataKey, new: DataKey) {
        let old = try current(session, scope)
        let new = DataKey.random(version: old.version + 1)
        try reseal(old, new)
        try session.query(
            """
            UPDATE kerb_control.council_keys SET retired_at = now(), wrapped = NULL
            WHERE schema_name = $1 AND version = $2::int
            """, [scope.schema, String(old.version)])
        try insert(session, scope.schema, new)
        return (old, new)
    }

    /// Re-wraps every live data key from `self.master` to `next` (master-key rotation): the
    /// data keys, and so everything they seal, stay the same. One transaction: either every
    /// schema moves to the new master key or none does.
    public func rewrapAll(_ session: AdminSession, to next: MasterKey) throws -> Int {
        let rows = try session.query(
            """
            SELECT schema_name, version, encode(wrapped, 'base64') FROM kerb_control.council_keys
            WHERE retired_at IS NULL ORDER BY schema_name FOR UPDATE
            """)
        for row in rows {
            guard let schema = row[0], let version = row[1].flatMap({ Int($0) }), let wrapped = row[2].flatMap(Data.init(postgresBase64:))
            else {
                continue
            }
            guard let key = master.unwrap(wrapped, schema: schema, version: version) else { throw KeysError.unwrapFailed(tenant: schema) }
            try session.query(
                """
                UPDATE kerb_control.council_keys SET wrapped = decode($3, 'base64'), master_key_id = $4
                WHERE schema_name = $1 AND version = $2::int
                """, [schema, String(version), next.wrap(key, schema: schema, version: version).base64EncodedString(), next.id])
        }
        return rows.count
    }

    /// Destroys every version of the schema's data key (offboarding): what it sealed, anywhere,
    /// is unreadable from this commit on. The rows stay, without key material, as evidence.
    public func shred(_ session: AdminSession, _ scope: TenantScope) throws {
        try session.query(
            """
            UPDATE kerb_control.council_keys SET wrapped = NULL, retired_at = coalesce(retired_at, now())
            WHERE schema_name = $1
            """, [scope.schema])
    }

    private func insert(_ session: AdminSession, _ schema: String, _ key: DataKey) throws {
        try session.query(
            """
            INSERT INTO kerb_control.council_keys (schema_name, version, wrapped, master_key_id)
            VALUES ($1, $2::int, decode($3, 'base64'), $4)
            """, [schema, String(key.version), master.wrap(key.key, schema: schema, version: key.version).base64EncodedString(), master.id])
    }
}
