import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Tenancy
import Web

/// A tiny browser for page tests: keeps cookies the way a browser would (per name, dropped when
/// expired), follows nothing automatically, and reads the CSRF token out of the last page.
public actor Browser {
    public struct Page: Sendable {
        public let status: HTTPResponse.Status
        public let html: String
        public let location: String?
    }

    /// What this browser says it is (sessions show it as "Firefox on Linux").
    public static let userAgent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"

    public let client: any TestClientProtocol
    public let base: String
    public private(set) var cookies: [String: String] = [:]
    public private(set) var csrf: String = ""

    public init(_ client: any TestClientProtocol, tenant: Tenant) {
        self.init(client, base: "/t/\(tenant.slug)")
    }

    public init(_ client: any TestClientProtocol, base: String) {
        self.client = client
        self.base = base
    }

    public func setCookie(_ name: String, _ value: String?) { cookies[name] = value }

    /// Holds a session as a browser does once signed in: its cookie, and the CSRF token its forms
    /// carry (`TestCouncil.signIn(as:)`).
    public func adopt(session token: String) {
        cookies["kerb_session"] = token
        csrf = SessionService.csrfToken(for: token)
    }

    @discardableResult
    public func get(_ path: String) async throws -> Page {
        try await send(.get, path, body: nil)
    }

    /// Posts a form with the current CSRF token unless `csrf` overrides it.
    @discardableResult
    public func post(_ path: String, _ fields: [(String, String)] = [], csrf override: String? = nil) async throws -> Page {
        var components = URLComponents()
        components.queryItems = ([("csrf", override ?? csrf)] + fields).map { URLQueryItem(name: $0.0, value: $0.1) }
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try await send(.post, path, body: body)
    }

    /// Posts raw bytes as they are, with this browser's cookies: for hostile bodies.
    @discardableResult
    public func postRaw(
        _ path: String, _ body: [UInt8], contentType: String? = "application/x-www-form-urlencoded", headers extra: HTTPFields = [:]
    )
        async throws -> Page
    {
        try await send(.post, path, bytes: body, contentType: contentType, extra: extra)
    }

    /// Uploads a file as a page's form does: multipart/form-data, the CSRF token and `fields`
    /// first, then the file part named `file`.
    @discardableResult
    public func upload(
        _ path: String, _ fields: [(String, String)], fileName: String, bytes: [UInt8], csrf override: String? = nil
    ) async throws -> Page {
        let boundary = "kerb-test-\(UUID().uuidString)"
        var body: [UInt8] = []
        for (name, value) in [("csrf", override ?? csrf)] + fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: application/pdf\r\n\r\n"
                .utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return try await send(.post, path, bytes: body, contentType: "multipart/form-data; boundary=\(boundary)")
    }

    /// A GET whose answer is not a page (a download): status, headers and bytes. With `post`, a
    /// form post (the CSRF token only) whose answer is a file.
    public func download(_ path: String? = nil, post: String? = nil) async throws -> (
        status: HTTPResponse.Status, headers: HTTPFields, bytes: [UInt8]
    ) {
        var headers: HTTPFields = [.userAgent: Self.userAgent]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        let target = post ?? path ?? ""
        let uri = target.hasPrefix("/t/") ? target : base + target
        var body: ByteBuffer?
        if post != nil {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: "csrf=" + (csrf.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        let response = try await client.execute(uri: uri, method: post == nil ? .get : .post, headers: headers, body: body)
        return (response.status, response.headers, Array(buffer: response.body))
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, body: String?) async throws -> Page {
        try await send(
            method, path, bytes: body.map { Array($0.utf8) }, contentType: body == nil ? nil : "application/x-www-form-urlencoded")
    }

    private func send(
        _ method: HTTPRequest.Method, _ path: String, bytes: [UInt8]?, contentType: String?, extra: HTTPFields = [:]
    ) async throws -> Page {
        var headers: HTTPFields = [.userAgent: Self.userAgent]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if let contentType { headers[.contentType] = contentType }
        headers.append(contentsOf: extra)
        let uri = path.hasPrefix("/t/") || path.hasPrefix("/ops") ? path : base + path
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: bytes.map { ByteBuffer(bytes: $0) })
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 || pair.count == 1 else { continue }
            let expired = header.lowercased().contains("max-age=0")
            cookies[pair[0]] = expired || pair.count == 1 || pair[1].isEmpty ? nil : pair[1]
        }
        let html = String(buffer: response.body)
        if let token = Self.field("csrf", in: html) { csrf = token }
        return Page(status: response.status, html: html, location: response.headers[.location])
    }

    /// The value of the first hidden input called `name`.
    public nonisolated static func field(_ name: String, in html: String) -> String? {
        guard let start = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&amp;", with: "&")
    }
}
