import Foundation
import Keys
import Storage

/// The operators' side of the secrets a council's schema holds sealed (TOTP secrets, enrolled
/// and pending): sealing those written before sealing existed, and re-sealing them when the
/// council's data key rotates. Runs in the caller's admin transaction, inside the council.
public enum SealedSecrets {
    /// Re-seals every secret from `old` to `new`; a secret that does not open with `old` stops
    /// the rotation (nothing commits), rather than being lost.
    public static func reseal(_ session: AdminSession, from old: DataKey, to new: DataKey) throws -> Int {
        try transform(session) { sealed, context in
            guard let plain = old.open(sealed, context: context) else { throw KeysError.sealedUnreadable }
            return new.seal(plain, context: context)
        }
    }

    /// Seals any secret still in the clear (written before migration 0014) with `key`.
    public static func sealLegacy(_ session: AdminSession, with key: DataKey) throws -> Int {
        try transform(session) { value, context in
            Sealed.version(of: value) == nil ? key.seal(value, context: context) : nil
        }
    }

    /// Applies `change` to each secret (nil: leave it), returning how many changed.
    private static func transform(_ session: AdminSession, _ change: (Data, String) throws -> Data?) throws -> Int {
        let rows = try session.query(
            """
            SELECT id, encode(totp_secret, 'base64'), encode(totp_pending_secret, 'base64') FROM users
            WHERE totp_secret IS NOT NULL OR totp_pending_secret IS NOT NULL FOR UPDATE
            """)
        var changed = 0
        for row in rows {
            guard let idText = row[0], let id = UUID(uuidString: idText) else { continue }
            let context = AccountService.totpContext(id)
            let enrolled = try row[1].flatMap(Data.init(postgresBase64:)).flatMap { try change($0, context) }
            let pending = try row[2].flatMap(Data.init(postgresBase64:)).flatMap { try change($0, context) }
            guard enrolled != nil || pending != nil else { continue }
            try session.query(
                """
                UPDATE users SET totp_secret = coalesce(decode($2, 'base64'), totp_secret),
                    totp_pending_secret = coalesce(decode($3, 'base64'), totp_pending_secret)
                WHERE id = $1::uuid
                """, [idText, enrolled?.base64EncodedString(), pending?.base64EncodedString()])
            changed += 1
        }
        return changed
    }

}
