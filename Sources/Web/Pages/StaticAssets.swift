import Foundation
import Hummingbird

/// The stylesheet and other static files, read from the bundle once at boot and served from
/// memory with a long cache lifetime (they change only with a release).
struct StaticAssets: Sendable {
    let files: [String: (body: ByteBuffer, type: String)]

    static func load() throws -> StaticAssets {
        guard let folder = Bundle.module.url(forResource: "Public", withExtension: nil) else { return StaticAssets(files: [:]) }
        var files: [String: (ByteBuffer, String)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let type =
                name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".svg") ? "image/svg+xml" : "application/octet-stream"
            files[name] = (ByteBuffer(bytes: data), type)
        }
        return StaticAssets(files: files)
    }

    func response(for name: String) -> Response? {
        guard let file = files[name] else { return nil }
        return Response(
            status: .ok,
            headers: [.contentType: file.type, .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: file.body))
    }
}
