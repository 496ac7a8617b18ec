import Foundation
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Testing
import Web

/// The crash report's middleware in the whole application (the table and the line it writes are
/// `CrashReportTests` in the unit target).
@Suite struct CrashReportTests {
    @Test func theWebApplicationListsARequestOnlyWhileItIsHandled() async throws {
        try await withApp(routes: { router, _ in
            router.get("/test/in-flight") { _, context in
                InFlightRequests.shared.snapshot().contains(context.id) ? "listed \(context.id)" : "missing \(context.id)"
            }
        }) { client, _ in
            try await client.execute(uri: "/test/in-flight", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(body.hasPrefix("listed "))
                let id = String(body.dropFirst("listed ".count))
                #expect(!InFlightRequests.shared.snapshot().contains(id))
            }
        }
    }
}
