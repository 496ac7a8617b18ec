import Foundation
import Identity
import Logging
import Storage
import Tenancy
import Web

/// A case officer with a complete session (2FA done), as a browser would hold it: invited, put
/// in Case officers and given a current password directly (an invited account's password counts
/// as expired under the default policy's 90-day limit, which would send every page to change it).
enum BenchOfficer {
    static func signedIn(
        _ scope: TenantScope, name: String, deps: WebDependencies, admin: AdminDatabase, logger: Logger
    ) async throws -> (userID: UUID, session: String) {
        let email = "officer.\(UUID().uuidString.prefix(8).lowercased())@bench.example"
        let (userID, _) = try await deps.identity.users.invite(
            scope, fullName: name, email: email, groupIDs: [], needsApproval: false,
            by: .init(actorID: nil, actor: "kerb-bench", action: ""), now: Date(), link: { "https://kerb.example/setup?token=\($0.token)" },
            logger: logger)
        try await admin.transaction { s in
            try s.enterTenant(scope)
            try s.query(
                """
                INSERT INTO group_memberships (user_id, group_id, status, decided_at)
                SELECT $1::uuid, id, 'active', now() FROM access_groups WHERE name = 'Case officers'
                """, [userID.uuidString])
            try s.query("UPDATE users SET status = 'active', password_changed_at = now() WHERE id = $1::uuid", [userID.uuidString])
            try s.leaveTenant()
        }
        let session = try await deps.identity.sessions.start(
            scope, userID: userID, stage: .complete, userAgent: "wrk", now: Date(), logger: logger)
        return (userID, session)
    }
}
