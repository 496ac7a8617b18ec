import HTTPTypes
import Hummingbird
import KerbCore
import Testing

@testable import Web

@Suite struct TenantMiddlewareTests {
    func request(authority: String?) -> Request {
        let head = HTTPRequest(method: .get, scheme: "http", authority: authority, path: "/")
        return Request(head: head, body: .init(buffer: .init()))
    }

    @Test func hostIsLowercasedWithoutItsPort() throws {
        #expect(try TenantMiddleware.host(of: request(authority: "Torbay.Kerb.Localhost:8080"))?.rawValue == "torbay.kerb.localhost")
        #expect(try TenantMiddleware.host(of: request(authority: "devon.kerb.localhost"))?.rawValue == "devon.kerb.localhost")
        #expect(try TenantMiddleware.host(of: request(authority: "[::1]:8080")) == nil)  // IPv6: never a council
        #expect(try TenantMiddleware.host(of: request(authority: nil)) == nil)
        #expect(try TenantMiddleware.host(of: request(authority: "")) == nil)
    }

    /// Item 9: a Host that is not a host name is refused (400) before any lookup or cache.
    @Test func hostileHostsAreRefused() {
        let hostile = [
            String(repeating: "a", count: 30_000), "evil.example/x", "a b.example", "exa\u{0}mple.com", "-bad.example",
            "bad-.example", "a..b", "x.example:99999", "x.example:80a", "[::1]' OR 1=1", "caf\u{e9}.example",
            String(repeating: "a", count: 64) + ".example",
        ]
        for authority in hostile {
            #expect(throws: MalformedRequest.badHost, "\(authority.prefix(40))") {
                try TenantMiddleware.host(of: request(authority: authority))
            }
        }
    }
}
