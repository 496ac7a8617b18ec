import Audit
import Foundation
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Testing

/// Issue 9, item 14, against the database: switching off two-factor authentication, or
/// second-administrator approval of access changes, needs a second administrator (the statutory
/// baseline's part is `WeakeningPolicyTests` in the unit target).
@Suite struct WeakeningPolicyTests {
    static let logger = Logger(label: "test")

    @Test func switchingProtectionOffNeedsASecondAdministrator() async throws {
        try await TestDatabase.withTenantDatabase { database in
            let tenant = try await TestDatabase.onboardTestTenant().tenant
            let store = LocalPolicyStore(database: database)
            let first = AuditEvent(actorID: UUID(), actor: "First Admin", action: "")
            let second = AuditEvent(actorID: UUID(), actor: "Second Admin", action: "")
            let before = try await store.current(tenant.scope, logger: Self.logger)
            for change in [\LocalPolicyDocument.security.mfaRequired, \LocalPolicyDocument.security.accessChangesNeedSecondAdmin] {
                let start = try await store.current(tenant.scope, logger: Self.logger)
                var document = start.document
                document[keyPath: change] = false
                await #expect {
                    try await store.change(tenant.scope, to: document, reason: "quicker sign-in", actor: first, logger: Self.logger)
                } throws: { kerbErrorCode($0) == "policy.needs-second-administrator" }
                let proposal = try await store.propose(
                    tenant.scope, to: document, reason: "quicker sign-in", actor: first, logger: Self.logger)
                #expect(try await store.current(tenant.scope, logger: Self.logger).version == start.version, "nothing applied yet")
                await #expect(throws: LocalPolicyStore.Failure.ownProposal) {
                    try await store.approve(tenant.scope, proposal: proposal, actor: first, logger: Self.logger)
                }
                let version = try await store.approve(tenant.scope, proposal: proposal, actor: second, logger: Self.logger)
                #expect(try await store.current(tenant.scope, logger: Self.logger).document[keyPath: change] == false)
                #expect(version == start.version + 1 && version > before.version)
                await #expect(throws: LocalPolicyStore.Failure.noSuchProposal) {
                    try await store.approve(tenant.scope, proposal: proposal, actor: second, logger: Self.logger)
                }
            }
            // Switching them back on is a strengthening change: one administrator is enough.
            var stronger = try await store.current(tenant.scope, logger: Self.logger).document
            stronger.security.mfaRequired = true
            stronger.security.accessChangesNeedSecondAdmin = true
            try await store.change(tenant.scope, to: stronger, reason: "back on", actor: first, logger: Self.logger)
            let trail = try await AuditLog.recent(database: database, scope: tenant.scope, logger: Self.logger)
            #expect(trail.filter { $0.event.action == "policy.propose" }.count == 2)
        }
    }
}
