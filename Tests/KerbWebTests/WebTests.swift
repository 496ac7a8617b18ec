import Foundation
import Hummingbird
import HummingbirdTesting
import KerbCore
import KerbTestSupport
import Logging
import Tenancy
import Testing
import Web

@Suite struct WebTests {
    static let logger = Logger(label: "test")

    @Test func aCouncilsPageIsServedUnderItsPathWithItsName() async throws {
        let a = try await TestDatabase.onboardTestTenant().tenant
        let b = try await TestDatabase.onboardTestTenant(nation: .scotland).tenant
        try await withApp { client, _ in
            for tenant in [a, b] {
                try await client.execute(uri: "/t/\(tenant.slug)/", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    let html = String(buffer: response.body)
                    #expect(html.contains(tenant.displayName))
                    #expect(html.contains("href=\"#main-content\""))
                    // Reached by path, the council's links stay under its path.
                    #expect(html.contains("href=\"/t/\(tenant.slug)/\""))
                    #expect(html.contains("href=\"/t/\(tenant.slug)/sign-in\""))
                    #expect(response.headers[.contentSecurityPolicy] != nil)
                    #expect(response.headers[.init("X-Request-Id")!] != nil)
                }
            }
            try await client.execute(uri: "/t/\(b.slug)/api/v1/profile", method: .get) { response in
                #expect(response.status == .ok)
                let profile = try JSONDecoder().decode(ProfileReader.Profile.self, from: Data(buffer: response.body))
                #expect(profile.authority == b.authoritySlug && profile.nation == "Scotland")
            }
        }
    }

    @Test func unknownCouncilsAre404AsProblemJSONOrAPage() async throws {
        try await withApp { client, _ in
            let slug = "nobody-\(TestDatabase.uniqueToken())"
            try await client.execute(uri: "/t/\(slug)/api/v1/profile", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["status"] as? Int == 404)
                #expect(body?["title"] as? String == "Not Found")
                #expect(body?["code"] as? String == "tenancy.unknown-tenant")
                #expect(body?["instance"] as? String == response.headers[.init("X-Request-Id")!])
            }
            try await client.execute(uri: "/t/\(slug)/", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).contains("There is no council at this address"))
            }
            // A hostile path segment is not a slug and never reaches SQL.
            try await client.execute(uri: "/t/x'%3BDROP%20TABLE%20x--/", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // Without a council, tenant routes do not exist.
            try await client.execute(uri: "/api/v1/profile", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func aSuspendedCouncilIs503UntilResumed() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let lifecycle = try await TestDatabase.lifecycle()
        _ = try await lifecycle.suspend(tenant.slug.rawValue, reason: "test", actor: "test")
        try await withApp { client, deps in
            try await client.execute(uri: "/t/\(tenant.slug)/api/v1/profile", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/t/\(tenant.slug)/", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("suspended"))
            }
            _ = try await lifecycle.resume(tenant.slug.rawValue, reason: "test", actor: "test")
            deps.tenants.invalidate()
            try await client.execute(uri: "/t/\(tenant.slug)/api/v1/profile", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func healthMetricsAndTheServiceHome() async throws {
        let token = "metrics-\(TestDatabase.uniqueToken())"
        try await withApp(WebConfig(metricsToken: token)) { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"database\":\"ok\""))
            }
            // Item 11: metrics are not public: a bearer token, or nothing.
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
            for header in ["", "Bearer wrong", "Bearer \(token)x", "Basic \(token)"] {
                try await client.execute(uri: "/metrics", method: .get, headers: header.isEmpty ? [:] : [.authorization: header]) {
                    response in
                    #expect(response.status == .unauthorized)
                    #expect(response.body.readableBytes == 0)
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("<main"))
            }
            try await client.execute(uri: "/assets/kerb.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
            }
            try await client.execute(uri: "/assets/nope.css", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        // Without a token configured, /metrics does not exist.
        try await withApp { client, _ in
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer anything"]) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func councilsAreFoundByHostname() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let deps = try await TestApp.dependencies()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await deps.database.pool.run() }
            defer { group.cancelAll() }
            let found = try await deps.tenants.tenant(
                host: try #require(Hostname("\(tenant.slug).kerb.localhost")), baseDomain: "kerb.localhost", logger: Self.logger)
            #expect(found?.id == tenant.id)
            let upper = try await deps.tenants.tenant(
                host: try #require(Hostname("\(tenant.slug.rawValue.uppercased()).KERB.localhost")), baseDomain: "kerb.localhost",
                logger: Self.logger)
            #expect(upper?.id == tenant.id)
            #expect(
                try await deps.tenants.tenant(
                    host: try #require(Hostname("a.\(tenant.slug).kerb.localhost")), baseDomain: "kerb.localhost", logger: Self.logger)
                    == nil)
            #expect(
                try await deps.tenants.tenant(
                    host: try #require(Hostname("\(tenant.slug).evil.example")), baseDomain: "kerb.localhost", logger: Self.logger) == nil
            )
            // Item 9: made-up hostnames cost a query each, never unbounded memory.
            let bounded = TenantDirectory(database: deps.database, capacity: 3)
            for index in 0..<10 {
                let host = try #require(Hostname("made-up-\(index)-\(TestDatabase.uniqueToken()).example"))
                #expect(try await bounded.tenant(host: host, baseDomain: "kerb.localhost", logger: Self.logger) == nil)
                #expect(bounded.cachedCount <= 3)
            }
            let again = try await bounded.tenant(
                host: try #require(Hostname("\(tenant.slug).kerb.localhost")), baseDomain: "kerb.localhost", logger: Self.logger)
            #expect(again?.id == tenant.id)
        }
    }

    @Test func councilsAreServedByTheirHostnameOverRealHTTP() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        try await withApp(WebConfig(host: "127.0.0.1", port: 0), over: .live) { client, _ in
            let port = try #require(client.port)
            try await TestClient.withClient(host: "127.0.0.1", port: port) { http in
                let own = try await http.execute(.init("/api/v1/profile", method: .get, authority: "\(tenant.slug).kerb.localhost:\(port)"))
                #expect(own.status == .ok)
                #expect(String(buffer: own.body ?? .init()).contains(tenant.authoritySlug))
                let page = try await http.execute(.init("/", method: .get, authority: "\(tenant.slug).kerb.localhost"))
                #expect(page.status == .ok)
                #expect(String(buffer: page.body ?? .init()).contains(tenant.displayName))
                #expect(!String(buffer: page.body ?? .init()).contains("/t/\(tenant.slug)"))  // by host: links stay on the host
                let unknown = try await http.execute(
                    .init("/", method: .get, authority: "nobody-\(TestDatabase.uniqueToken()).kerb.localhost"))
                #expect(unknown.status == .notFound)
                let service = try await http.execute(.init("/", method: .get, authority: "kerb.localhost:\(port)"))
                #expect(service.status == .ok)
                #expect(!String(buffer: service.body ?? .init()).contains(tenant.displayName))
            }
        }
    }
}
