import Foundation
import Identity
import KerbTestSupport
import Policy
import Testing

@Suite struct AccessGroupServiceTests {
    let helper = TestAccounts()

    @Test func membershipsNeedASecondAdminAndGrantOnlyOnceApproved() async throws {
        try await helper.withAccounts { accounts in
            let (tenant, email) = try await helper.councilWithAdmin(accounts)
            let log = TestAccounts.logger
            let admin = try await helper.adminID(accounts, tenant, email, now: Date())
            let officer = try await TestDatabase.admin.transaction { session in
                try session.enterTenant(tenant.scope)
                let rows = try session.query(
                    "INSERT INTO users (email, full_name, status) VALUES ('officer@council.example', 'Olu Officer', 'active') RETURNING id::text"
                )
                let second = try session.query(
                    "INSERT INTO users (email, full_name, status, is_admin) VALUES ('second@council.example', 'Sam Second', 'active', true) RETURNING id::text"
                )
                return (UUID(uuidString: rows[0][0]!)!, UUID(uuidString: second[0][0]!)!)
            }
            let groups = AccessGroupService(database: accounts.database)
            let officers = AccessGroup(name: "North officers", permissions: [.viewCase, .editCase], ownTeamsOnly: true)
            // Onboarding gave the council the standard groups and its first admin Administrators.
            let first = try await groups.principal(tenant.scope, userID: admin, logger: log)
            #expect(first.groups.map(\.name) == ["Administrators"])
            #expect(AccessPolicy.decide(first, .manageUsers).isAllowed && AccessPolicy.decide(first, .viewCase) == .deny(.notGranted))
            let groupID = try await groups.createGroup(tenant.scope, officers, logger: log)
            await #expect(throws: AccessGroupService.Failure.duplicateName("north officers")) {
                _ = try await groups.createGroup(tenant.scope, AccessGroup(name: "north officers", permissions: []), logger: log)
            }

            let request = try await groups.requestMembership(
                tenant.scope, userID: officer.0, groupID: groupID, requestedBy: admin, needsApproval: true, now: Date(), logger: log)
            // Pending grants nothing.
            var principal = try await groups.principal(tenant.scope, userID: officer.0, logger: log)
            #expect(AccessPolicy.decide(principal, .viewCase) == .deny(.notGranted))
            await #expect(throws: AccessGroupService.Failure.selfApproval) {
                try await groups.approve(tenant.scope, membershipID: request, approver: admin, now: Date(), logger: log)
            }
            try await groups.approve(tenant.scope, membershipID: request, approver: officer.1, now: Date(), logger: log)
            await #expect(throws: AccessGroupService.Failure.nothingPending) {
                try await groups.approve(tenant.scope, membershipID: request, approver: officer.1, now: Date(), logger: log)
            }
            try await groups.addTeam(tenant.scope, userID: officer.0, team: "north", logger: log)
            principal = try await groups.principal(tenant.scope, userID: officer.0, logger: log)
            #expect(AccessPolicy.decide(principal, .viewCase, AccessTarget(team: "north")).isAllowed)
            #expect(AccessPolicy.decide(principal, .viewCase, AccessTarget(team: "south")) == .deny(.outsideTeam))
            #expect(AccessPolicy.decide(principal, .manageUsers) == .deny(.notGranted))
        }
    }
}
