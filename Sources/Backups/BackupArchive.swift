import Crypto
import Documents
import Foundation
import KerbCore

#if canImport(Glibc)
    import Glibc
#endif

/// The files of backups on disk: `<root>/<council>/<backup id>/`, holding the encrypted dump,
/// the documents' stored (already encrypted) files under `documents/`, and `manifest.json`.
///
/// A backup is written in `<root>/<council>/.partial-<id>/`, every file `fsync`ed, then renamed
/// into place and its folder `fsync`ed: a folder under its id is always whole. A process killed
/// half-way leaves only a `.partial-` folder, which is never listed and is swept later.
struct BackupArchive: Sendable {
    static let dumpFile = "database.pgdump.kerb"
    static let manifestFile = "manifest.json"
    static let readPiece = 256 * 1024

    let root: URL

    func councilFolder(_ council: String) -> URL { root.appendingPathComponent(council, isDirectory: true) }
    func partialFolder(_ council: String, _ id: UUID) -> URL {
        councilFolder(council).appendingPathComponent(".partial-" + id.uuidString.lowercased(), isDirectory: true)
    }
    func folder(_ council: String, _ id: UUID) -> URL {
        councilFolder(council).appendingPathComponent(id.uuidString.lowercased(), isDirectory: true)
    }

    /// The backup's documents, laid out as the live store lays them out (`<schema>/<id>`).
    static func documentStore(_ folder: URL) -> FolderBlobStore {
        FolderBlobStore(root: folder.appendingPathComponent("documents", isDirectory: true))
    }

    /// A new, private partial folder (and the council's folder above it).
    func startPartial(_ council: String, _ id: UUID) throws -> URL {
        let partial = partialFolder(council, id)
        try FileManager.default.createDirectory(
            at: partial, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return partial
    }

    /// Makes the partial folder the backup: its folders `fsync`ed, renamed into place, and the
    /// rename made durable.
    func complete(_ council: String, _ id: UUID, schema: String) throws -> URL {
        let partial = partialFolder(council, id)
        let documents = partial.appendingPathComponent("documents", isDirectory: true)
        for folder in [documents.appendingPathComponent(schema).path, documents.path, partial.path]
        where FileManager.default.fileExists(atPath: folder) {
            try FolderBlobStore.syncFolder(folder)
        }
        let final = folder(council, id)
        guard rename(partial.path, final.path) == 0 else { throw BackupError.notSet("cannot move the backup into \(final.path)") }
        try FolderBlobStore.syncFolder(councilFolder(council).path)
        return final
    }

    /// Removes partial folders older than `before` (a backup killed half-way).
    func sweepPartials(_ council: String, before: Date) -> Int {
        let folder = councilFolder(council)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var removed = 0
        for name in names where name.hasPrefix(".partial-") {
            let path = folder.appendingPathComponent(name)
            let written = (try? FileManager.default.attributesOfItem(atPath: path.path))?[.modificationDate] as? Date
            if let written, written < before, (try? FileManager.default.removeItem(at: path)) != nil { removed += 1 }
        }
        return removed
    }

    /// SHA-256 and size of a file, read a piece at a time; nil if it cannot be read.
    static func hash(_ url: URL) -> (sha256: String, bytes: Int)? {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return nil }
        defer { try? handle.close() }
        var hash = SHA256()
        var bytes = 0
        do {
            while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
                hash.update(data: piece)
                bytes += piece.count
            }
        } catch { return nil }
        return (Hex.encode(hash.finalize()), bytes)
    }

    /// Writes a file durably (`fsync` before close), mode 600, hashing what it writes.
    final class FileWriter {
        let relative: String
        private let handle: FileHandle
        private var hash = SHA256()
        private(set) var bytes = 0

        init(folder: URL, relative: String) throws {
            self.relative = relative
            let url = folder.appendingPathComponent(relative)
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: url.path)
            else { throw BackupError.notSet("cannot write \(url.path)") }
            self.handle = handle
        }

        func write(_ data: Data) throws {
            guard !data.isEmpty else { return }
            hash.update(data: data)
            bytes += data.count
            try handle.write(contentsOf: data)
        }

        func close() throws -> BackupManifest.File {
            try handle.synchronize()
            try handle.close()
            return BackupManifest.File(path: relative, sha256: Hex.encode(hash.finalize()), bytes: bytes)
        }
    }

    /// The dump encrypted as it streams, under its own key (Kerb's segmented AES-256-GCM, the
    /// documents' format, bound to the backup's id).
    final class SealedWriter {
        private let file: FileWriter
        private var sealer: DocumentCipher.Sealer

        init(folder: URL, relative: String, key: SymmetricKey, id: UUID) throws {
            file = try FileWriter(folder: folder, relative: relative)
            sealer = DocumentCipher.Sealer(key: key, documentID: id)
        }

        func write(_ plain: Data) throws {
            var offset = plain.startIndex
            while offset < plain.endIndex {
                let end = plain.index(offset, offsetBy: BackupArchive.readPiece, limitedBy: plain.endIndex) ?? plain.endIndex
                try file.write(try sealer.add(plain[offset..<end]))
                offset = end
            }
        }

        func close() throws -> BackupManifest.File {
            try file.write(try sealer.finish())
            return try file.close()
        }
    }

    /// Reads the encrypted dump back as plaintext pieces; a file altered or cut short fails
    /// with `BackupError.doesNotVerify` rather than handing on bytes that were not written.
    final class SealedReader {
        private let handle: FileHandle
        private var opener: DocumentCipher.Opener
        private var finished = false

        init(_ url: URL, key: SymmetricKey, id: UUID) throws {
            guard let handle = FileHandle(forReadingAtPath: url.path) else {
                throw BackupError.doesNotVerify(["\(BackupArchive.dumpFile) is missing"])
            }
            self.handle = handle
            opener = DocumentCipher.Opener(key: key, documentID: id)
        }

        deinit { try? handle.close() }

        /// The next plaintext piece, or nil at the end.
        func next() throws -> Data? {
            while !finished {
                let piece = try handle.read(upToCount: BackupArchive.readPiece) ?? Data()
                do {
                    if piece.isEmpty {
                        finished = true
                        return try opener.finish()
                    }
                    let plain = try opener.add(piece)
                    if !plain.isEmpty { return plain }
                } catch {
                    throw BackupError.doesNotVerify(["\(BackupArchive.dumpFile) does not decrypt: it was altered or cut short"])
                }
            }
            return nil
        }
    }
}
