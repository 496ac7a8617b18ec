import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body. Read once per request (the body is collected
/// by `SessionMiddleware` for its CSRF check, so handlers read the same bytes again).
struct FormFields: Sendable {
    private let pairs: [(String, String)]

    init(_ body: String) {
        var components = URLComponents()
        // Forms encode spaces as '+', which URLComponents leaves alone.
        components.percentEncodedQuery = body.replacingOccurrences(of: "+", with: "%20")
        pairs = (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    static let maxBytes = 64 * 1024

    static func read(_ request: inout Request) async throws -> FormFields {
        let buffer = try await request.collectBody(upTo: maxBytes)
        return FormFields(String(buffer: buffer))
    }

    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Trimmed, or "" when absent.
    func text(_ name: String) -> String { (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Every value of a repeated field (checkboxes).
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
