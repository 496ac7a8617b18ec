import Crypto
import Foundation
import KerbCore
import KerbMigrations

/// One SQL migration file: `NNNN_verb_object.sql`, applied once per schema, in name order, in its
/// own transaction, and recorded with the SHA-256 of its text so a later edit is detected.
public struct Migration: Sendable, Equatable {
    public enum Target: String, Sendable { case control, tenant }

    public let target: Target
    /// The file name without `.sql`, e.g. `0001_create_tenant_core`; names sort in apply order.
    public let version: String
    public let sql: String
    public let checksum: String

    public init(target: Target, version: String, sql: String) {
        self.target = target
        self.version = version
        self.sql = sql
        self.checksum = Hex.encode(SHA256.hash(data: Data(sql.utf8)))
    }

    /// Loads the migrations shipped with the binary, sorted by version. A file name that does not
    /// start with four digits and an underscore is refused, so ordering is never ambiguous.
    public static func bundled(_ target: Target) throws -> [Migration] {
        guard let folder = KerbMigrations.bundle.url(forResource: target.rawValue, withExtension: nil) else {
            throw StorageError.invalidSetting("migrations/\(target.rawValue) is missing from the bundle")
        }
        return try load(from: folder, target: target)
    }

    public static func load(from folder: URL, target: Target) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        return try names.sorted().map { name in
            let version = String(name.dropLast(4))
            guard version.range(of: #"^[0-9]{4}_[a-z0-9_]+$"#, options: .regularExpression) != nil else {
                throw StorageError.invalidSetting("migration file \(name) must be named NNNN_verb_object.sql")
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            return Migration(target: target, version: version, sql: sql)
        }
    }
}
