import Foundation
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded blob store: `<root>/<namespace>/<name>`, written as the database is: to a
/// temporary file, `fsync`, renamed into place, then the folder `fsync`ed, so after a crash a
/// blob is either whole under its name or absent. Blocking calls run on NIO's thread pool.
public struct FolderBlobStore: BlobStore {
    public let root: URL
    let threads: NIOThreadPool

    public init(root: URL, threads: NIOThreadPool = .singleton) {
        self.root = root
        self.threads = threads
    }

    /// Names are what Kerb makes (schema names, UUIDs): letters, digits, `_` and `-` only, so no
    /// name can climb out of its folder.
    static func checked(_ name: String) throws(BlobStoreError) -> String {
        guard !name.isEmpty, name.count <= 80,
            name.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F || $0 == 0x2D
            })
        else { throw .invalidName }
        return name
    }

    func folder(_ namespace: String) throws(BlobStoreError) -> String { root.path + "/" + (try Self.checked(namespace)) }

    public func create(_ namespace: String, _ name: String) async throws -> any BlobWriter {
        let folder = try folder(namespace)
        let final = folder + "/" + (try Self.checked(name))
        let temporary = folder + "/.tmp-" + name + "-" + UUID().uuidString.lowercased()
        let descriptor: Int32 = try await threads.runIfActive {
            try Self.makeFolders(root: root.path, folder: folder)
            guard access(final, F_OK) != 0 else { throw BlobStoreError.alreadyExists }
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw BlobStoreError.io("open", errno) }
            return fd
        }
        return FolderBlobWriter(threads: threads, descriptor: descriptor, temporary: temporary, final: final, folder: folder)
    }

    public func read(_ namespace: String, _ name: String) async throws -> any BlobReader {
        let path = try folder(namespace) + "/" + (try Self.checked(name))
        let descriptor: Int32 = try await threads.runIfActive {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw errno == ENOENT ? BlobStoreError.notFound : BlobStoreError.io("open", errno) }
            return fd
        }
        return FolderBlobReader(threads: threads, descriptor: descriptor)
    }

    public func delete(_ namespace: String, _ name: String) async throws {
        let folder = try folder(namespace)
        let path = folder + "/" + (try Self.checked(name))
        try await threads.runIfActive {
            guard unlink(path) == 0 || errno == ENOENT else { throw BlobStoreError.io("unlink", errno) }
            try Self.syncFolder(folder)
        }
    }

    public func list(_ namespace: String) async throws -> [(name: String, written: Date)] {
        let folder = try folder(namespace)
        return try await threads.runIfActive {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.filter { !$0.hasPrefix(".tmp-") }.compactMap { name in
                let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)
                return (attributes?[.modificationDate] as? Date).map { (name: name, written: $0) }
            }
        }
    }

    public func removeIncomplete(_ namespace: String, before: Date) async throws -> Int {
        let folder = try folder(namespace)
        return try await threads.runIfActive {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            var removed = 0
            for name in names where name.hasPrefix(".tmp-") {
                let path = folder + "/" + name
                let written = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
                if let written, written < before, unlink(path) == 0 { removed += 1 }
            }
            return removed
        }
    }

    public func deleteNamespace(_ namespace: String) async throws {
        let folder = try folder(namespace)
        try await threads.runIfActive {
            if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
            try Self.syncFolder(root.path)
        }
    }

    static func makeFolders(root: String, folder: String) throws {
        for path in [root, folder] where access(path, F_OK) != 0 {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw BlobStoreError.io("mkdir", errno) }
        }
    }

    /// Makes a rename, link or unlink in `folder` durable (the store's writes, an export's files).
    public static func syncFolder(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BlobStoreError.io("open folder", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BlobStoreError.io("fsync folder", errno) }
    }
}

final class FolderBlobWriter: BlobWriter {
    let threads: NIOThreadPool
    let descriptor: Int32
    let temporary: String
    let final: String
    let folder: String
    private let open = Mutex(true)

    init(threads: NIOThreadPool, descriptor: Int32, temporary: String, final: String, folder: String) {
        self.threads = threads
        self.descriptor = descriptor
        self.temporary = temporary
        self.final = final
        self.folder = folder
    }

    func append(_ bytes: Data) async throws {
        let fd = descriptor
        try await threads.runIfActive {
            try bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, base + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw BlobStoreError.io("write", errno)
                    }
                    offset += written
                }
            }
        }
    }

    func commit() async throws {
        guard
            open.withLock({
                let was = $0; $0 = false; return was
            })
        else { throw BlobStoreError.io("commit", EBADF) }
        let (fd, temporary, final, folder) = (descriptor, temporary, final, folder)
        try await threads.runIfActive {
            defer { close(fd) }
            guard fsync(fd) == 0 else {
                unlink(temporary)
                throw BlobStoreError.io("fsync", errno)
            }
            // link(2) fails if the name exists, so a committed blob is never replaced.
            guard link(temporary, final) == 0 else {
                let failure = errno
                unlink(temporary)
                throw failure == EEXIST ? BlobStoreError.alreadyExists : BlobStoreError.io("link", failure)
            }
            unlink(temporary)
            try FolderBlobStore.syncFolder(folder)
        }
    }

    deinit {
        // Neither committed nor abandoned (the task was cancelled): the partial file goes.
        if open.withLock({ $0 }) {
            close(descriptor)
            unlink(temporary)
        }
    }

    func abandon() async {
        guard
            open.withLock({
                let was = $0; $0 = false; return was
            })
        else { return }
        let (fd, temporary) = (descriptor, temporary)
        _ = try? await threads.runIfActive {
            close(fd)
            unlink(temporary)
        }
    }
}

final class FolderBlobReader: BlobReader {
    static let pieceBytes = 256 * 1024
    let threads: NIOThreadPool
    let descriptor: Int32
    private let open = Mutex(true)

    init(threads: NIOThreadPool, descriptor: Int32) {
        self.threads = threads
        self.descriptor = descriptor
    }

    func next() async throws -> Data? {
        let fd = descriptor
        return try await threads.runIfActive {
            var buffer = Data(count: Self.pieceBytes)
            let count = buffer.withUnsafeMutableBytes { raw in
                var got: Int
                repeat { got = Glibc.read(fd, raw.baseAddress, raw.count) } while got < 0 && errno == EINTR
                return got
            }
            guard count >= 0 else { throw BlobStoreError.io("read", errno) }
            return count == 0 ? nil : buffer.prefix(count)
        }
    }

    func close() async {
        guard
            open.withLock({
                let was = $0; $0 = false; return was
            })
        else { return }
        let fd = descriptor
        _ = try? await threads.runIfActive { Glibc.close(fd) }
    }

    deinit {
        if open.withLock({ $0 }) { Glibc.close(descriptor) }
    }
}
