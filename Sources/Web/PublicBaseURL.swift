import Foundation
import KerbCore

/// The configured origin people reach Kerb at (`https://bluebadge.example`), the only source of
/// links Kerb sends outside a page: set-up links and GOV.UK Pay return URLs.
public struct PublicBaseURL: Sendable, Equatable, CustomStringConvertible {
    /// Scheme, host and optional port; no path, query or trailing slash.
    public let origin: String

    /// Checks `raw` is `http(s)://host[:port]` with a valid host name (a trailing `/` is dropped).
    public init?(_ raw: String) {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("/") { text.removeLast() }
        let scheme: String
        if text.lowercased().hasPrefix("https://") {
            scheme = "https"
        } else if text.lowercased().hasPrefix("http://") {
            scheme = "http"
        } else {
            return nil
        }
        let authority = text.dropFirst(scheme.count + 3)
        guard let host = Hostname(authority: authority) else { return nil }
        let port = authority.split(separator: ":", maxSplits: 1).dropFirst().first.map { ":" + $0 } ?? ""
        origin = "\(scheme)://\(host.rawValue)\(port)"
    }

    /// `http://localhost:<port>`: development and tests.
    public static func localhost(port: Int) -> PublicBaseURL {
        PublicBaseURL("http://localhost:\(port)") ?? PublicBaseURL(uncheckedOrigin: "http://localhost")
    }

    private init(uncheckedOrigin: String) { origin = uncheckedOrigin }

    /// An absolute link to a council page: always `/t/<slug>/…` on the service host, the one
    /// origin that is sure to serve every council.
    public func council(_ slug: Slug, _ path: String) -> String { "\(origin)/t/\(slug.rawValue)\(path)" }

    /// An absolute link to a supplier-operations page.
    public func ops(_ path: String) -> String { "\(origin)/ops\(path)" }

    public var description: String { origin }
}
