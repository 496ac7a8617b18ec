import Foundation
import HTTPTypes
import KerbAPI
import Policy
import Yams

/// Each operation of the casework API with the permission its OpenAPI document declares
/// (`x-kerb-permission`). The generated code registers the routes; `APITransport` refuses to
/// register one this table does not know, so no operation can be served without its access rule.
struct APIOperations: Sendable {
    struct Key: Hashable, Sendable {
        let method: HTTPRequest.Method
        /// As the document writes it: `/applications/{reference}`.
        let path: String
    }

    /// Why the document cannot be served: a mistake in the repository, found at start-up.
    struct DocumentError: Error, CustomStringConvertible {
        let description: String
    }

    let permissions: [Key: Permission]
    /// Operations whose request body is a file (any media type, `*/*`), streamed, not parsed.
    let streaming: Set<Key>

    /// Reads the document shipped in `KerbAPI`.
    static func load() throws -> APIOperations {
        try APIOperations(yaml: String(decoding: KerbAPIDocument.bytes, as: UTF8.self))
    }

    init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any], let paths = document["paths"] as? [String: Any] else {
            throw DocumentError(description: "the API document has no paths")
        }
        var permissions: [Key: Permission] = [:]
        var streaming: Set<Key> = []
        for (path, item) in paths {
            for (method, operation) in (item as? [String: Any]) ?? [:] {
                guard let operation = operation as? [String: Any], operation["operationId"] != nil else { continue }
                let name = "\(method.uppercased()) \(path)"
                guard let declared = operation["x-kerb-permission"] as? String else {
                    throw DocumentError(description: "\(name) declares no x-kerb-permission")
                }
                guard let permission = Permission(rawValue: declared) else {
                    throw DocumentError(description: "\(name) declares an unknown permission \(declared)")
                }
                guard let verb = HTTPRequest.Method(rawValue: method.uppercased()) else {
                    throw DocumentError(description: "\(name) is not an HTTP method")
                }
                permissions[Key(method: verb, path: path)] = permission
                let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                if content?.keys.contains("*/*") == true { streaming.insert(Key(method: verb, path: path)) }
            }
        }
        self.permissions = permissions
        self.streaming = streaming
    }

    func streamsBody(_ method: HTTPRequest.Method, _ path: String) -> Bool { streaming.contains(Key(method: method, path: path)) }

    func permission(_ method: HTTPRequest.Method, _ path: String) throws -> Permission {
        guard let permission = permissions[Key(method: method, path: path)] else {
            throw DocumentError(description: "\(method) \(path) is not in the API document with a permission")
        }
        return permission
    }
}
