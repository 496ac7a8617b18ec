import Documents
import Foundation
import HTTPTypes
import HummingbirdTesting
import KerbTestSupport
import Logging
import Storage
import Testing

/// Generated and mutated multipart bodies through the page upload route, signed in with a valid
/// CSRF token (so the parser and the store run, not only the guards): no answer is a 5xx, the
/// server keeps serving, and a refused upload leaves no row and no blob. Set `KERB_FUZZ_SEED`
/// to replay a failure (the seed is printed with it).
@Suite struct UploadFuzzTests {
    static let pdf = Array("%PDF-1.7\nfuzz\n%%EOF\n".utf8)

    /// One body: a valid upload, then cut, spliced with junk, its boundary or headers broken.
    static func body(_ random: inout RouteFuzzTests.Generator, csrf: String) -> (contentType: String, bytes: [UInt8]) {
        let boundaries = ["fuzz", "a", String(repeating: "b", count: 70), "x y", "----WebKitFormBoundary7MA4YWxkTrZu0gW"]
        let boundary = boundaries[Int(random.next() % UInt64(boundaries.count))]
        var bytes = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf)\r\n".utf8)
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"class\"\r\n\r\nevidence\r\n".utf8)
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.pdf\"\r\n\r\n".utf8)
        bytes += pdf + Array("\r\n--\(boundary)--\r\n".utf8)
        switch random.next() % 6 {
        case 0: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
        case 1:
            let at = Int(random.next() % UInt64(bytes.count))
            bytes.insert(contentsOf: (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
        case 2:
            for _ in 0..<4 { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
        case 3: bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n").utf8)
        case 4: bytes = (0..<Int(random.next() % 512)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        default: break
        }
        let types = [
            "multipart/form-data; boundary=\(boundary)", "multipart/form-data", "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"\(boundary)\"", "multipart/form-data; boundary=\(String(repeating: "z", count: 71))",
        ]
        return (types[Int(random.next() % UInt64(types.count))], bytes)
    }

    @Test func generatedUploadsNeverAnswer5xxAndRefusedOnesLeaveNothing() async throws {
        let seed = ProcessInfo.processInfo.environment["KERB_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        try await withApp { client, deps in
            let council = try await TestCouncil.onboard(client, deps)
            let officer = try await council.signIn(as: try await council.person("Priya Shah", groups: ["Case officers"]))
            let reference = try await council.application()
            try await officer.get("/cases/\(reference)")
            let csrf = await officer.csrf
            var random = RouteFuzzTests.Generator(state: seed)
            var accepted = 0
            for _ in 0..<300 {
                let (type, bytes) = Self.body(&random, csrf: csrf)
                let answer = try await officer.postRaw("/cases/\(reference)/documents", bytes, contentType: type)
                #expect(answer.status.code < 500, "seed \(seed): \(type) → \(answer.status)")
                if answer.status == .seeOther { accepted += 1 }
            }
            let rows = try await TestDatabase.prepared().transaction { session in
                try session.enterTenant(council.scope)
                return Int(try session.query("SELECT count(*) FROM documents").first?[0].flatMap { $0 } ?? "0") ?? 0
            }
            let blobs = try await TestDatabase.vault.blobs.list(council.scope.schema).count
            #expect(accepted > 0, "seed \(seed): no generated upload was a valid one")
            #expect(rows == accepted && blobs == accepted, "seed \(seed)")
            #expect(try await officer.get("/cases/\(reference)").status == .ok)
        }
    }
}
