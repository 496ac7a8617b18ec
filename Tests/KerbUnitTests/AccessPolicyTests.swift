import Foundation
import Policy
import Testing

@Suite struct AccessPolicyTests {
    let officers = AccessGroup(name: "Case officers", permissions: [.viewCase, .editCase, .assessCase], ownTeamsOnly: true)
    let deciders = AccessGroup(name: "Decision makers", permissions: [.viewCase, .decideCase])
    let admins = AccessGroup(name: "Administrators", permissions: [.manageUsers, .managePolicy, .viewAudit])

    @Test func aUserWithNoGroupsMayDoNothing() {
        let nobody = Principal(userID: UUID(), groups: [])
        for permission in Permission.allCases {
            #expect(AccessPolicy.decide(nobody, permission) == .deny(.notGranted))
            #expect(AccessPolicy.decide(nobody, permission, AccessTarget(team: "north")) == .deny(.notGranted))
        }
    }

    @Test func groupsAddUp() {
        let user = Principal(userID: UUID(), groups: [officers, admins], teams: ["north"])
        #expect(AccessPolicy.decide(user, .editCase, AccessTarget(team: "north")).isAllowed)
        #expect(AccessPolicy.decide(user, .manageUsers).isAllowed)
        #expect(AccessPolicy.decide(user, .decideCase, AccessTarget(team: "north")) == .deny(.notGranted))
        #expect(AccessPolicy.decide(user, .runExports) == .deny(.notGranted))
    }

    @Test func teamScopedGroupsReachOnlyTheirTeamsCases() {
        let user = Principal(userID: UUID(), groups: [officers], teams: ["north"])
        #expect(AccessPolicy.decide(user, .viewCase, AccessTarget(team: "north")).isAllowed)
        #expect(AccessPolicy.decide(user, .viewCase, AccessTarget(team: "south")) == .deny(.outsideTeam))
        // Another group without the team limit widens it: the union wins.
        let both = Principal(userID: user.userID, groups: [officers, deciders], teams: ["north"])
        #expect(AccessPolicy.decide(both, .viewCase, AccessTarget(team: "south")).isAllowed)
        #expect(AccessPolicy.decide(both, .editCase, AccessTarget(team: "south")) == .deny(.outsideTeam))
    }

    @Test func nobodyDecidesACaseTheyAssessedWhateverTheirGroups() {
        let id = UUID()
        let everything = AccessGroup(name: "All", permissions: Set(Permission.allCases))
        let user = Principal(userID: id, groups: [everything])
        #expect(AccessPolicy.decide(user, .decideCase, AccessTarget(assessedBy: id)) == .deny(.separationOfDuties))
        #expect(AccessPolicy.decide(user, .decideCase, AccessTarget(assessedBy: UUID())).isAllowed)
        #expect(AccessPolicy.decide(user, .editCase, AccessTarget(assessedBy: id)).isAllowed)
    }
}
