import Foundation
import Testing

@testable import Web

/// The upload form's multipart reader: the same parts whatever way the body is cut into pieces,
/// the file's bytes passed through unchanged (delimiter-like bytes included), and malformed
/// headers refused, never trapped on.
@Suite struct MultipartReaderTests {
    static let boundary = "----kerb7MA4YWxkTrZu0gW"
    static let file = Array("%PDF-1.7\r\n--not the boundary\r\n\r\n\u{00}\u{FF}end".utf8)
    static var body: [UInt8] {
        Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken\r\n".utf8)
            + Array(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan é.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
                    .utf8)
            + file + Array("\r\n--\(boundary)--\r\n".utf8)
    }

    /// Feeds `pieces` and folds the events into (fields, file name, file bytes).
    static func read(_ pieces: [[UInt8]]) throws -> (fields: [String: String], fileName: String?, file: [UInt8]) {
        var reader = MultipartReader(boundary: boundary)
        var fields: [String: String] = [:]
        var current: (name: String, fileName: String?)?
        var value: [UInt8] = []
        var fileName: String?
        var file: [UInt8] = []
        for piece in pieces {
            for event in try reader.feed(Data(piece)) {
                switch event {
                case .part(let name, let name2):
                    current = (name, name2)
                    value = []
                case .data(let data):
                    if current?.fileName != nil { file += data } else { value += data }
                case .partEnd:
                    if let current, current.fileName == nil { fields[current.name] = String(decoding: value, as: UTF8.self) }
                    if let name = current?.fileName { fileName = name }
                    current = nil
                }
            }
        }
        #expect(reader.isDone)
        return (fields, fileName, file)
    }

    @Test func everyWayOfCuttingTheBodyReadsTheSame() throws {
        let body = Self.body
        let whole = try Self.read([body])
        #expect(whole.fields == ["csrf": "token"] && whole.fileName == "scan é.pdf" && whole.file == Self.file)
        for cut in 1..<body.count {
            let split = try Self.read([Array(body[..<cut]), Array(body[cut...])])
            #expect(split.fields == whole.fields && split.file == whole.file, "cut at \(cut)")
        }
        #expect(try Self.read(body.map { [$0] }).file == Self.file)
    }

    @Test func malformedHeadersAreRefused() {
        for headers in [
            "Content-Disposition: form-data\r\n",  // no name
            "Cont\u{00E9}nt: x\r\nContent-Disposition: form-data; name=\"a\"\r\n",  // a header name beyond ASCII
            "Content-Disposition: attachment; name=\"a\"\r\n", "no colon here\r\n",
            "Content-Disposition: form-data; name=\"a\u{01}\"\r\n",
        ] {
            var reader = MultipartReader(boundary: "b")
            #expect(throws: MultipartReader.Malformed.self) {
                _ = try reader.feed(Data("--b\r\n\(headers)\r\nvalue\r\n--b--".utf8))
            }
        }
        var endless = MultipartReader(boundary: "b")
        #expect(throws: MultipartReader.Malformed.self) {
            _ = try endless.feed(Data(("--b\r\nX-A: " + String(repeating: "a", count: 9000)).utf8))
        }
        var wrongEnd = MultipartReader(boundary: "b")
        #expect(throws: MultipartReader.Malformed.self) { _ = try wrongEnd.feed(Data("--bXX".utf8)) }
    }
}
