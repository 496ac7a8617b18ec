import Foundation
import NIOPosix

/// Where encrypted document blobs live. Each council has its own namespace (its schema's name),
/// and nothing is shared or de-duplicated between councils: a shared blob would tell one council
/// that another holds the same file. A blob is written whole or not at all; only then does the
/// document's row commit, so a row never points at a missing blob. The embedded store is a
/// folder; an S3-compatible object store can implement the same protocol.
public protocol BlobStore: Sendable {
    /// Starts a new blob `name` in `namespace`; it is invisible until `commit`.
    func create(_ namespace: String, _ name: String) async throws -> any BlobWriter
    /// The blob's bytes in order, a piece at a time.
    func read(_ namespace: String, _ name: String) async throws -> any BlobReader
    func delete(_ namespace: String, _ name: String) async throws
    /// Every committed blob in `namespace` with when it was written (for the orphan sweep).
    func list(_ namespace: String) async throws -> [(name: String, written: Date)]
    /// Removes writes that never committed (a process killed mid-upload) started before `before`.
    func removeIncomplete(_ namespace: String, before: Date) async throws -> Int
    /// Removes the namespace and everything in it (offboarding).
    func deleteNamespace(_ namespace: String) async throws
}

public protocol BlobWriter: Sendable {
    func append(_ bytes: Data) async throws
    /// Makes the blob durable and visible under its name.
    func commit() async throws
    /// Throws the partial blob away.
    func abandon() async
}

public protocol BlobReader: Sendable {
    /// The next piece, or nil at the end.
    func next() async throws -> Data?
    func close() async
}

public enum BlobStoreError: Error, Equatable {
    case invalidName
    case notFound
    case alreadyExists
    case io(String, Int32)
}
