import Foundation
import Keys

/// Where a process finds councils' keys and documents: the master key (from a file outside the
/// database) and the blob store's folder (`KERB_DOCUMENTS_DIR`).
public struct VaultSettings: Sendable {
    public let master: MasterKey
    public let blobs: any BlobStore

    public init(master: MasterKey, blobs: any BlobStore) {
        self.master = master
        self.blobs = blobs
    }

    public static func fromEnvironment(_ env: [String: String]) throws -> VaultSettings {
        let master = try MasterKey.fromEnvironment(env)
        guard let folder = env["KERB_DOCUMENTS_DIR"], folder.hasPrefix("/") else { throw DocumentsError.folderNotSet }
        return VaultSettings(master: master, blobs: FolderBlobStore(root: URL(fileURLWithPath: folder, isDirectory: true)))
    }
}
