import HTTPTypes
import Hummingbird
import Testing

@testable import Web

@Suite struct TenantMiddlewareTests {
    func request(authority: String?) -> Request {
        let head = HTTPRequest(method: .get, scheme: "http", authority: authority, path: "/")
        return Request(head: head, body: .init(buffer: .init()))
    }

    @Test func hostIsLowercasedWithoutItsPort() {
        #expect(TenantMiddleware.host(of: request(authority: "Torbay.Kerb.Localhost:8080")) == "torbay.kerb.localhost")
        #expect(TenantMiddleware.host(of: request(authority: "devon.kerb.localhost")) == "devon.kerb.localhost")
        #expect(TenantMiddleware.host(of: request(authority: "[::1]:8080")) == "[::1]:8080")
        #expect(TenantMiddleware.host(of: request(authority: nil)) == nil)
        #expect(TenantMiddleware.host(of: request(authority: "")) == nil)
    }
}
