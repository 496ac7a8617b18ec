import Identity
import KerbCore
import KerbTestSupport
import Policy
import Storage
import Tenancy
import Testing

@Suite struct TenantLifecycleTests {
    @Test func onboardingCreatesAConfinedSchemaWithPolicyAndAnInvitedAdmin() async throws {
        let onboarded = try await TestDatabase.onboardTestTenant(nation: .wales, band: .d)
        let tenant = onboarded.tenant
        #expect(tenant.status == .active)
        #expect(tenant.nation == .wales && tenant.band == .d)

        let owner = try await TestDatabase.adminQuery(
            "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", [tenant.scope.schema])
        #expect(owner.first?.first == tenant.scope.ownerRole)
        let tables = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tableowner = $2", [tenant.scope.schema, tenant.scope.ownerRole])
        #expect(Int(tables[0][0] ?? "0")! >= 4)
        let ledger = try await TestDatabase.adminQuery(
            "SELECT version FROM kerb_control.schema_migrations WHERE schema_name = $1 ORDER BY version", [tenant.scope.schema])
        #expect(ledger.map { $0[0] } == (try Migration.bundled(.tenant)).map(\.version))

        // Tenant data is only reachable as the tenant's role.
        let inside = try await TestDatabase.admin.transaction { session in
            try session.enterTenant(tenant.scope)
            let policy = try session.query("SELECT version, document::text, reason FROM policy_versions")
            let admin = try session.query(
                "SELECT u.full_name, u.is_admin::text, u.status, encode(t.token_hash, 'hex') FROM users u JOIN setup_tokens t ON t.user_id = u.id"
            )
            return (policy, admin)
        }
        #expect(inside.0.count == 1 && inside.0[0][0] == "1")
        // Wales: the default's £10 fee is lowered to the Welsh statutory maximum, £0.
        let stored = try PolicyFile.parseLocal(json: try #require(inside.0[0][1]))
        #expect(stored == (try LocalPolicy.initial(for: .wales)).document)
        #expect(stored.badge.feePence == 0)
        #expect(inside.0[0][2]?.contains("Wales maximum of £0") == true)
        #expect(inside.1.count == 1)
        #expect(inside.1[0][0] == "Alex Morgan" && inside.1[0][1] == "true" && inside.1[0][2] == "invited")
        // Only the hash of the one-time token is stored.
        let storedHash = try #require(inside.1[0][3])
        #expect(storedHash == SetupToken.hash(of: onboarded.adminSetupToken).map { String(format: "%02x", $0) }.joined())
        #expect(!storedHash.contains(onboarded.adminSetupToken))

        let events = try await TestDatabase.lifecycle().show(tenant.slug.rawValue).events
        #expect(events.map(\.event) == ["onboarded"])
    }

    @Test func aSecondOnboardingOfTheSameAuthorityIsRefusedAndChangesNothing() async throws {
        let first = try await TestDatabase.onboardTestTenant()
        let lifecycle = try await TestDatabase.lifecycle()
        let catalogue = try AuthorityCatalogue(
            authoritiesCSV: "slug,name,band,nation\n\(first.tenant.authoritySlug),X,B,England\n", bandsCSV: "band,rank,description\n")
        let again = lifecycle.with(catalogue: catalogue)
        let otherSlug = "dup-" + TestDatabase.uniqueToken()
        await #expect(
            throws: TenancyError.authorityAlreadyOnboarded(authority: first.tenant.authoritySlug, slug: first.tenant.slug.rawValue)
        ) {
            _ = try await again.onboard(
                .init(
                    authority: first.tenant.authoritySlug, slug: otherSlug, adminName: "Ann Other", adminEmail: "ann@example.org",
                    actor: "test"))
        }
        // Other tests onboard in parallel, so count only what this refusal could have written.
        let rows = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM kerb_control.tenants WHERE authority_slug = $1 OR slug = $2", [first.tenant.authoritySlug, otherSlug])
        #expect(rows[0][0] == "1")
        let schema = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1", [Slug(otherSlug)!.schemaName])
        #expect(schema[0][0] == "0")
        let roles = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM pg_roles WHERE rolname IN ($1, $2)", [Slug(otherSlug)!.ownerRoleName, Slug(otherSlug)!.requestRoleName])
        #expect(roles[0][0] == "0")
    }

    @Test func badInputIsRefusedWithAClearError() async throws {
        let lifecycle = try await TestDatabase.lifecycle()
        await #expect(throws: TenancyError.unknownAuthority("no-such-council")) {
            _ = try await lifecycle.onboard(
                .init(authority: "no-such-council", adminName: "Ann Other", adminEmail: "ann@example.org", actor: "test"))
        }
        await #expect(throws: TenancyError.invalidSlug("Bad Slug")) {
            _ = try await lifecycle.onboard(
                .init(authority: "westminster", slug: "Bad Slug", adminName: "Ann Other", adminEmail: "ann@example.org", actor: "test"))
        }
        await #expect {
            _ = try await lifecycle.onboard(
                .init(
                    authority: "westminster", slug: "ok-\(TestDatabase.uniqueToken())", adminName: "admin", adminEmail: "not-an-email",
                    actor: "test"))
        } throws: { kerbErrorCode($0) == "tenancy.invalid-admin" && invalidFields($0)?.contains("admin-email") == true }
        await #expect(throws: TenancyError.invalidHostname("bad_host!")) {
            _ = try await lifecycle.onboard(
                .init(
                    authority: "westminster", slug: "ok-\(TestDatabase.uniqueToken())", hostnames: ["bad_host!"], adminName: "Ann Other",
                    adminEmail: "ann@example.org", actor: "test"))
        }
        let first = try await TestDatabase.onboardTestTenant()
        let taken = try AuthorityCatalogue(
            authoritiesCSV: "slug,name,band,nation\nwestminster,Westminster,A,England\n", bandsCSV: "band,rank,description\n")
        let withWestminster = lifecycle.with(catalogue: taken)
        await #expect(throws: TenancyError.slugTaken(first.tenant.slug.rawValue)) {
            _ = try await withWestminster.onboard(
                .init(
                    authority: "westminster", slug: first.tenant.slug.rawValue, adminName: "Ann Other", adminEmail: "ann@example.org",
                    actor: "test"))
        }
        let westminster = try await TestDatabase.adminQuery(
            "SELECT count(*) FROM kerb_control.tenants WHERE authority_slug = 'westminster'")
        #expect(westminster[0][0] == "0")
    }

    @Test func suspendResumeAndOffboardFollowTheLifecycle() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let lifecycle = try await TestDatabase.lifecycle()
        let slug = tenant.slug.rawValue
        await #expect(throws: TenancyError.reasonRequired) { _ = try await lifecycle.suspend(slug, reason: "  ", actor: "test") }
        await #expect(throws: TenancyError.wrongStatus(slug: slug, status: "active", wanted: "suspended")) {
            _ = try await lifecycle.resume(slug, reason: "not suspended", actor: "test")
        }
        #expect(try await lifecycle.suspend(slug, reason: "unpaid invoice", actor: "ops:alice").status == .suspended)
        #expect(try await lifecycle.resume(slug, reason: "paid", actor: "ops:bob").status == .active)
        await #expect(throws: TenancyError.offboardNeedsVerifiedExport(slug)) {
            _ = try await lifecycle.offboard(slug, actor: "test", blobs: TestDatabase.vault.blobs)
        }
        let details = try await lifecycle.show(slug)
        #expect(details.tenant.status == .active)
        #expect(details.events.map(\.event) == ["onboarded", "suspended", "resumed"])
        #expect(details.events[1].actor == "ops:alice" && details.events[1].detail == "unpaid invoice")
        let schema = try await TestDatabase.adminQuery("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [tenant.scope.schema])
        #expect(schema[0][0] == "1")
        await #expect(throws: TenancyError.unknownTenant) { _ = try await lifecycle.show("no-such-tenant-\(TestDatabase.uniqueToken())") }
    }
}
