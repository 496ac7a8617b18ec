import Casework
import Foundation
import Policy

extension Actor {
    /// An officer whose one access group grants every casework permission, in every team: the
    /// acting identity of service tests that are about the casework rules, not about access.
    public static func caseworker(_ officer: Officer) -> Actor {
        Actor(
            officer: officer,
            principal: Principal(
                userID: officer.id,
                groups: [
                    AccessGroup(
                        name: "Casework (test)",
                        permissions: [
                            .viewCase, .editCase, .assessCase, .decideCase, .issueBadge, .takePayments, .sendCommunications,
                            .manageEnforcement,
                        ])
                ]),
            requestID: "test")
    }
}

extension Actor {
    /// Reads a record in a service test, as someone who may see every case.
    public static let reader = caseworker(Officer(id: UUID(), name: "Test reader"))
}
