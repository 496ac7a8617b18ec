import Crypto
import Foundation
import KerbCore
import Storage

/// One file of an export as the manifest records it.
public struct ExportFile: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var bytes: Int
}

/// A council's export as its manifest describes it (`manifest.json`, the last file written).
public struct ExportManifest: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var rows: Int
        public var columns: [AdminSession.Column]
        public var csv: ExportFile
        public var json: ExportFile
    }

    public struct Document: Codable, Sendable, Equatable {
        public var id: String
        public var fileName: String
        public var mediaType: String
        public var file: ExportFile
        /// Set when the document is sealed to the council's key (`ExportEncryption`).
        public var encryption: ExportEncryption.Sealed?
    }

    public var format = "kerb-export/1"
    public var council: String
    public var name: String
    public var schema: String
    public var exportedAt: String
    public var exportedBy: String
    /// The last audit entry the export includes: a later change makes it stale.
    public var auditSeq: Int64
    public var tables: [Table]
    public var documents: [Document]
    /// The fingerprint of the council's public key the documents are sealed to (nil: in the clear).
    public var sealedTo: String?
    /// How to read the files (also in the README).
    public var readme =
        "tables/<name>.csv: RFC 4180, a header row of column names, every value as PostgreSQL writes it as text, quoted; NULL is an empty unquoted field. tables/<name>.json: the same rows as an array of objects (NULL as null). documents/<id>.<ext>: each document decrypted. sha256 is of each file's bytes."

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }
}

/// Writes a file of an export as it is produced, hashing as it goes; `close` makes it durable.
final class ExportWriter {
    let path: String
    let relative: String
    private let handle: FileHandle?
    private var hash = SHA256()
    private(set) var bytes = 0

    /// `folder` nil: nothing is written, only hashed (verification regenerates files this way).
    init(folder: URL?, relative: String) throws {
        self.relative = relative
        if let folder {
            let url = folder.appendingPathComponent(relative)
            path = url.path
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw TenancyError.exportFolderUnusable(url.deletingLastPathComponent().path)
            }
            handle = FileHandle(forWritingAtPath: path)
        } else {
            path = relative
            handle = nil
        }
    }

    func write(_ data: Data) throws {
        hash.update(data: data)
        bytes += data.count
        try handle?.write(contentsOf: data)
    }

    func close() throws -> ExportFile {
        try handle?.synchronize()
        try handle?.close()
        return ExportFile(path: relative, sha256: Hex.encode(hash.finalize()), bytes: bytes)
    }
}

/// A table as CSV and JSON, written (or only hashed) row by row.
struct TableFiles {
    let csv: ExportWriter
    let json: ExportWriter
    let columns: [AdminSession.Column]
    private(set) var rows = 0

    init(folder: URL?, table: String, columns: [AdminSession.Column]) throws {
        csv = try ExportWriter(folder: folder, relative: "tables/\(table).csv")
        json = try ExportWriter(folder: folder, relative: "tables/\(table).json")
        self.columns = columns
        try csv.write(Data((columns.map { Self.quoted($0.name) }.joined(separator: ",") + "\r\n").utf8))
        try json.write(Data("[".utf8))
    }

    mutating func add(_ batch: [[String?]]) throws {
        var csvText = ""
        var jsonText = ""
        for row in batch {
            csvText += row.map { $0.map(Self.quoted) ?? "" }.joined(separator: ",") + "\r\n"
            var object: [String: String?] = [:]
            for (index, column) in columns.enumerated() where index < row.count { object[column.name] = row[index] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let line = String(decoding: try encoder.encode(object), as: UTF8.self)
            jsonText += (rows == 0 ? "\n" : ",\n") + line
            rows += 1
        }
        try csv.write(Data(csvText.utf8))
        try json.write(Data(jsonText.utf8))
    }

    func close() throws -> (csv: ExportFile, json: ExportFile) {
        try json.write(Data("\n]\n".utf8))
        return (try csv.close(), try json.close())
    }

    static func quoted(_ value: String) -> String { "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
