import Foundation
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Tenancy
import Testing
import Web

/// Supplier operations sign in at `/ops` with the same rules as councils, see the council list,
/// and are strangers to every council (and councils to them).
@Suite struct SupplierOpsTests {
    @Test func opsSignInToTheirOwnSpaceOnlyAndSeeTheCouncils() async throws {
        let council = try await TestDatabase.onboardTestTenant()
        let councilEmail = "alex.morgan@\(council.tenant.authoritySlug.dropFirst(5)).test.kerb.example"
        let opsEmail = "ops.\(TestDatabase.uniqueToken())@ops.kerb.example"
        let token = try await SupplierOps.invite(try await TestDatabase.prepared(), fullName: "Dana Whitfield", email: opsEmail)
        try await withApp { client, _ in
            let ops = Browser(client, base: "/ops")
            #expect(try await ops.get("/ops/").location == "/ops/sign-in")
            _ = try await setUpAndSignIn(ops, token: token, email: opsEmail)
            let list = try await ops.get("/ops/")
            #expect(list.status == .ok)
            #expect(list.html.contains(council.tenant.displayName) && list.html.contains("href=\"/t/\(council.tenant.slug)/\""))
            let opsCookie = try #require(await ops.cookies["kerb_session"])

            // The ops session means nothing at a council, and ops credentials do not sign in there.
            let atCouncil = Browser(client, tenant: council.tenant)
            await atCouncil.setCookie("kerb_session", opsCookie)
            #expect(try await atCouncil.get("/account").location == "/t/\(council.tenant.slug)/sign-in")
            try await atCouncil.get("/sign-in")
            #expect(
                try await atCouncil.post("/sign-in", [("email", opsEmail), ("password", TestCouncil.password)]).status == .forbidden)

            // A council's administrator is a stranger at /ops, signed in or not.
            let admin = Browser(client, tenant: council.tenant)
            _ = try await setUpAndSignIn(admin, token: council.adminSetupToken, email: councilEmail)
            let adminCookie = try #require(await admin.cookies["kerb_session"])
            let adminAtOps = Browser(client, base: "/ops")
            await adminAtOps.setCookie("kerb_session", adminCookie)
            #expect(try await adminAtOps.get("/ops/").location == "/ops/sign-in")
            try await adminAtOps.get("/ops/sign-in")
            #expect(
                try await adminAtOps.post("/ops/sign-in", [("email", councilEmail), ("password", TestCouncil.password)]).status
                    == .forbidden)
            // Council administration is not mounted under /ops at all.
            #expect(try await ops.get("/ops/admin/users").status == .notFound)
        }
    }
}
