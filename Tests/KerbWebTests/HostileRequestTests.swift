import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import KerbTestSupport
import Logging
import Policy
import Prometheus
import Tenancy
import Testing

@testable import Web

/// Issue 9, items 1, 9, 11 and 13: requests no browser would send get a clear 4xx, change
/// nothing and leave the server serving; councils' origins stay apart.
@Suite struct HostileRequestTests {
    static let logger = Logger(label: "test")

    static func alive(_ client: any TestClientProtocol) async throws {
        try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
    }

    @Test func malformedFormBodiesAreRefusedAndTheServerKeepsServing() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await withApp { client, _ in
            let browser = Browser(client, tenant: tenant)
            try await browser.get("/sign-in")
            let csrf = await browser.csrf
            let prefix = Array("csrf=\(csrf)&".utf8)
            let cases: [(String, [UInt8], HTTPResponse.Status)] = [
                // Readable, if odd: the form is read and the sign-in refused (403), not a crash.
                ("raw space", prefix + Array("email=a b&password=x".utf8), .forbidden),
                ("hash", prefix + Array("email=a#b&password=x".utf8), .forbidden),
                ("CR/LF", prefix + Array("email=a%0D%0Ab&password=x".utf8), .forbidden),
                ("raw CR/LF", prefix + Array("email=a\r\nb&password=x".utf8), .forbidden),
                // Unreadable: 400 before any handler.
                ("bad escape", prefix + Array("email=%zz".utf8), .badRequest),
                ("lone percent", prefix + Array("email=%".utf8), .badRequest),
                ("short escape", prefix + Array("email=%4".utf8), .badRequest),
                ("invalid UTF-8", prefix + Array("email=".utf8) + [0xFF, 0xFE, 0xC3], .badRequest),
                ("escaped invalid UTF-8", prefix + Array("email=%FF%FE".utf8), .badRequest),
                ("NUL escaped", prefix + Array("email=a%00b".utf8), .badRequest),
                ("NUL raw", prefix + Array("email=a".utf8) + [0] + Array("b".utf8), .badRequest),
                ("escape", prefix + Array("email=%1B[31m".utf8), .badRequest),
                ("too many fields", prefix + Array(repeating: "a=1&", count: 500).flatMap { Array($0.utf8) }, .badRequest),
                ("oversized", prefix + Array(repeating: UInt8(ascii: "a"), count: 70_000), .contentTooLarge),
            ]
            for (name, body, status) in cases {
                let page = try await browser.postRaw("/sign-in", body)
                #expect(page.status == status, "\(name): \(page.status)")
                #expect(page.html.contains("<html"), "\(name): a page, not a bare error")
            }
            // Not a form at all: 415, whatever the body.
            for contentType in ["multipart/form-data; boundary=x", "text/plain", "application/json", nil] {
                let page = try await browser.postRaw("/sign-in", prefix + Array("email=a".utf8), contentType: contentType)
                #expect(page.status == .unsupportedMediaType, "\(contentType ?? "none"): \(page.status)")
            }
            try await Self.alive(client)
        }
    }

    /// Over real HTTP (the in-process client always sends `Host: localhost`).
    static func withLiveApp(_ test: @escaping @Sendable (TestClient) async throws -> Void) async throws {
        try await withApp(WebConfig(host: "127.0.0.1", port: 0), over: .live) { client, _ in
            let port = try #require(client.port)
            try await TestClient.withClient(host: "127.0.0.1", port: port) { http in try await test(http) }
        }
    }

    @Test func hostileHeadersGetAClearAnswer() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await Self.withLiveApp { http in
            // A 30 KB Host, and hosts that are not host names: 400 before any lookup.
            for host in [String(repeating: "a", count: 30_000), "evil.example/../x", "a b.example", "x.example:99999"] {
                let response = try await http.execute(.init("/sign-in", method: .get, authority: host))
                #expect(response.status == .badRequest, "\(host.prefix(30))")
            }
            // Hundreds of cookies, one of them a session that means nothing.
            var cookies = (0..<400).map { "c\($0)=\(String(repeating: "x", count: 20))" }
            cookies.append("kerb_session=\(String(repeating: "A", count: 200))")
            let many = try await http.execute(
                .init(
                    "/t/\(tenant.slug)/sign-in", method: .get, authority: "localhost", headers: [.cookie: cookies.joined(separator: "; ")]))
            #expect(many.status == .ok)
            let health = try await http.execute(.init("/healthz", method: .get, authority: "localhost"))
            #expect(health.status == .ok)
        }
    }

    /// Item 11: a council's own hostname serves that council only, `/t/` paths and `/ops` live
    /// on the service host, and every answer (errors too) carries the protective headers.
    @Test func originsKeepCouncilsApart() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        let b = try await TestDatabase.onboardTestTenant().tenant
        try await Self.withLiveApp { http in
            let hostA = "\(a.slug).kerb.localhost"
            let own = try await http.execute(.init("/sign-in", method: .get, authority: hostA))
            #expect(own.status == .ok && String(buffer: own.body ?? .init()).contains(a.displayName))
            #expect(own.headers[.xContentTypeOptions] == "nosniff")
            #expect(own.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
            for path in ["/t/\(b.slug)/sign-in", "/t/\(a.slug)/sign-in", "/ops/sign-in", "/ops"] {
                let response = try await http.execute(.init(path, method: .get, authority: hostA))
                #expect(response.status == .notFound, "\(path) under \(a.slug)'s host")
                #expect(!String(buffer: response.body ?? .init()).contains(b.displayName))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.contentSecurityPolicy] != nil)
            }
            // On the service host both work by path, and /ops is the operations team's.
            let byPath = try await http.execute(.init("/t/\(b.slug)/sign-in", method: .get, authority: "kerb.localhost"))
            #expect(byPath.status == .ok && String(buffer: byPath.body ?? .init()).contains(b.displayName))
            let ops = try await http.execute(.init("/ops/sign-in", method: .get, authority: "localhost:8080"))
            #expect(ops.status == .ok)
        }
    }

}

/// Issue 9, item 6: credential attempts are limited per client too, before any database work,
/// and refusals show in `/metrics`.
@Suite struct ClientThrottleTests {
    static let logger = Logger(label: "test")

    @Test func oneClientIsThrottledAndItShowsInMetrics() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await withApp(WebConfig(metricsToken: "t0ken"), metrics: PrometheusCollectorRegistry()) { client, _ in
            let browser = Browser(client, tenant: tenant)
            try await browser.get("/sign-in")
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<32 {
                statuses.append(try await browser.post("/sign-in", [("email", "someone\(index)@example.org"), ("password", "x")]).status)
            }
            // Thirty attempts a minute, each a different address (as someone cycling through a
            // council's staff would): then 429 with no account touched.
            #expect(statuses.prefix(30).allSatisfy { $0 == .forbidden })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            let refused = try await browser.post("/sign-in", [("email", "a@example.org"), ("password", "x")])
            #expect(refused.html.contains("Too many attempts from your network"))
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer t0ken"]) { response in
                #expect(String(buffer: response.body).contains("kerb_throttled_attempts_total 3"))
            }
        }
    }
}
