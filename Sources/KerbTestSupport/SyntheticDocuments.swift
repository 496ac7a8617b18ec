import Documents
import Foundation
import KerbCore
import Keys
import Storage

/// Documents made for tests and benchmarks: each a small PDF of `bytes` random bytes, stored
/// encrypted under the council's key exactly as an upload is, with its row on the council's
/// first application (by reference), written as the council's request role.
public enum SyntheticDocuments {
    @discardableResult
    public static func insert(
        _ admin: AdminDatabase, _ scope: TenantScope, keys: CouncilKeys, store: any BlobStore, count: Int, bytes: Int
    ) async throws -> [UUID] {
        let dataKey = try await admin.session { session in try keys.current(session, scope) }
        var made: [UUID] = []
        for index in 0..<count {
            let id = UUID()
            let body = Data("%PDF-1.4\n% synthetic \(index)\n".utf8) + Data((0..<bytes).map { _ in UInt8.random(in: 0...255) })
            let stream = AsyncThrowingStream<Data, any Error> { continuation in
                continuation.yield(body)
                continuation.finish()
            }
            let stored = try await DocumentVault.store(
                stream, id: id, dataKey: dataKey, store: store, scope, limitBytes: body.count, allowed: [.pdf])
            try await admin.transaction { session in
                try session.enterTenant(scope)
                try session.query(
                    """
                    INSERT INTO documents (id, application_id, stage, class, file_name, content_type, byte_count, sha256, sealed_key)
                    SELECT $1::uuid, (SELECT id FROM applications ORDER BY reference LIMIT 1), 'application', 'evidence', $2,
                        'application/pdf', $3::bigint, decode($4, 'hex'), decode($5, 'base64')
                    """,
                    [
                        id.uuidString, "evidence-\(index).pdf", String(stored.byteCount), Hex.encode(stored.sha256),
                        stored.sealedKey.base64EncodedString(),
                    ])
                try session.leaveTenant()
            }
            made.append(id)
        }
        return made
    }
}
