import Foundation
import Logging
import Policy
import PostgresNIO
import Storage

/// Work Kerb does on its own (renewal invitations on schedule) is done, and shown on timelines
/// and letters, as "Kerb (scheduled)": an integration identity in the council's own `users`
/// that can never sign in (no password, no sessions).
public enum SystemActor {
    public static let name = "Kerb (scheduled)"

    public static func officer(_ database: TenantDatabase, _ scope: TenantScope, logger: Logger) async throws -> Officer {
        try await database.transaction(scope, logger: logger) { conn in
            var id: UUID?
            for try await value in try await conn.query(
                """
                INSERT INTO users (email, full_name, status, kind) VALUES ('scheduler@integrations.kerb.invalid', \(name), 'active', 'integration')
                ON CONFLICT (lower(email)) DO UPDATE SET full_name = excluded.full_name
                RETURNING id
                """, logger: logger
            ).decode(UUID.self) { id = value }
            guard let id else { throw CaseworkError.noSuchPerson }
            return Officer(id: id, name: name)
        }
    }

    /// What Kerb may do on its own: the casework its schedules run, in every team (no access
    /// group to confine it), and nothing an administrator does.
    public static let permissions: Set<Permission> = [.viewCase, .editCase, .sendCommunications]

    /// The scheduler as the acting identity of a use case.
    public static func actor(_ database: TenantDatabase, _ scope: TenantScope, logger: Logger) async throws -> Actor {
        let officer = try await officer(database, scope, logger: logger)
        return Actor(
            officer: officer,
            principal: Principal(userID: officer.id, groups: [AccessGroup(name: name, permissions: permissions)]),
            requestID: "scheduled")
    }
}
