import Foundation
import Hummingbird
import Identity
import KerbCore

/// A document upload from a page: `multipart/form-data` whose fields (the CSRF token, the
/// document's class) come before the file, as the page's form puts them. `read` parses up to the
/// start of the file, checks the CSRF token there, and returns the fields with the file's bytes
/// still to come, as a stream: the upload is checked and encrypted as it arrives, never held.
///
/// The session middleware lets a multipart body through only to the routes listed in
/// `endpoints`, whose handlers call `read` before anything else; every other route refuses it.
struct UploadForm {
    /// Route patterns that take a multipart upload (as Hummingbird names the matched endpoint).
    static let endpoints: Set<String> = [
        "/t/{tenant}/cases/{reference}/documents", "/cases/{reference}/documents", "/t/{tenant}/enforcement/{reference}/documents",
        "/enforcement/{reference}/documents",
    ]

    /// How much of the body may come before the file starts (the fields and the part headers).
    static let maxBytesBeforeFile = 16 * 1024
    static let maxFields = 8

    let fields: [String: String]
    let fileName: String
    let file: FileBody

    /// True for `multipart/form-data` (with its parameters).
    static func isMultipart(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        return contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased()
            == "multipart/form-data"
    }

    /// The boundary parameter, if it is one RFC 2046 allows (1–70 characters of its set).
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=? ")
            guard (1...70).contains(value.count), value.allSatisfy(allowed.contains), value.last != " " else { return nil }
            return value
        }
        return nil
    }

    /// Parses up to the file and checks the CSRF token against `csrfSecret` (403 `FormExpired`
    /// if it is missing or wrong, before any byte of the file is kept).
    static func read(_ request: Request, csrfSecret: String?) async throws -> UploadForm {
        let contentType = request.headers[.contentType]
        guard isMultipart(contentType) else { throw MalformedRequest.notAForm }
        guard let boundary = boundary(contentType) else { throw MalformedRequest.badMultipart }
        let source = FileBody.Source(body: request.body, boundary: boundary)
        try await source.readUntilFile()
        guard let secret = csrfSecret, SessionService.csrfMatches(source.state.fields["csrf"] ?? "", sessionToken: secret) else {
            throw FormExpired()
        }
        guard let fileName = source.state.fileName else { throw MalformedRequest.badMultipart }
        return UploadForm(fields: source.state.fields, fileName: fileName, file: FileBody(source: source))
    }

    /// The file part's bytes, in order, as they arrive.
    struct FileBody: AsyncSequence {
        typealias Element = Data
        let source: Source

        func makeAsyncIterator() -> Iterator { Iterator(source: source) }

        struct Iterator: AsyncIteratorProtocol {
            let source: Source
            mutating func next() async throws -> Data? { try await source.nextFileBytes() }
        }

        /// What the reader has seen: fields so far, the current part, file bytes waiting to be
        /// taken.
        final class State {
            var fields: [String: String] = [:]
            var partName: String?
            var partFileName: String?
            var partValue = Data()
            var fileName: String?
            var inFile = false
            var fileDone = false
            var pending: [Data] = []
            var tooLong = false

            func apply(_ event: MultipartReader.Event) {
                switch event {
                case .part(let name, let file):
                    partName = name
                    partFileName = file
                    partValue = Data()
                    // The first file part is the upload; it starts here, even if it is empty.
                    if file != nil, fileName == nil, !fileDone {
                        fileName = file
                        inFile = true
                    }
                case .data(let data):
                    if inFile {
                        pending.append(data)
                    } else if !fileDone, partFileName == nil {
                        partValue.append(data)
                        if partValue.count > FieldLimits.fallback * 4 { tooLong = true }
                    }
                case .partEnd:
                    if inFile {
                        inFile = false
                        fileDone = true
                    } else if !fileDone, partFileName == nil, let name = partName, fields.count < UploadForm.maxFields {
                        fields[name] = String(decoding: partValue, as: UTF8.self)
                    }
                    partName = nil
                    partFileName = nil
                    partValue = Data()
                }
            }
        }

        final class Source {
            var body: RequestBody.AsyncIterator
            var reader: MultipartReader
            let state = State()
            var consumed = 0
            var ended = false

            init(body: RequestBody, boundary: String) {
                self.body = body.makeAsyncIterator()
                reader = MultipartReader(boundary: boundary)
            }

            /// Feeds the parser until the file's first bytes (or its end) have been seen.
            func readUntilFile() async throws {
                while !state.inFile, !state.fileDone {
                    guard try await feed(), !state.tooLong else { throw MalformedRequest.badMultipart }
                    let started = state.inFile || state.fileDone
                    guard started || consumed <= UploadForm.maxBytesBeforeFile else { throw MalformedRequest.badMultipart }
                }
            }

            func nextFileBytes() async throws -> Data? {
                while state.pending.isEmpty {
                    if state.fileDone { return nil }
                    guard try await feed() else { throw MalformedRequest.badMultipart }
                }
                return state.pending.removeFirst()
            }

            /// One more piece of the body through the parser; false at the body's end.
            private func feed() async throws -> Bool {
                guard !ended, let buffer = try await body.next() else {
                    ended = true
                    return false
                }
                consumed += buffer.readableBytes
                do {
                    for event in try reader.feed(Data(buffer.readableBytesView)) { state.apply(event) }
                } catch {
                    throw MalformedRequest.badMultipart
                }
                return true
            }
        }
    }
}
