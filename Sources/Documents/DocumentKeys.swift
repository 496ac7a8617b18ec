import Foundation
import Keys
import Storage

/// The operators' side of documents' keys: each document's own key is sealed with the council's
/// data key on its row, so rotating the council's key re-seals these small keys and leaves every
/// blob as it is. Runs in the caller's admin transaction, inside the council.
public enum DocumentKeys {
    /// Re-seals every document's key from `old` to `new`; one that does not open stops the
    /// rotation (nothing commits) rather than losing the document.
    public static func reseal(_ session: AdminSession, from old: DataKey, to new: DataKey) throws -> Int {
        let rows = try session.query("SELECT id, encode(sealed_key, 'base64') FROM documents FOR UPDATE")
        for row in rows {
            guard let idText = row[0], let id = UUID(uuidString: idText),
                let sealed = row[1].flatMap(Data.init(postgresBase64:))
            else { continue }
            let context = DocumentVault.keyContext(id)
            guard let key = old.open(sealed, context: context) else { throw KeysError.sealedUnreadable }
            try session.query(
                "UPDATE documents SET sealed_key = decode($2, 'base64') WHERE id = $1::uuid",
                [idText, new.seal(key, context: context).base64EncodedString()])
        }
        return rows.count
    }
}
