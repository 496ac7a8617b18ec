import Audit
import Foundation
import Logging
import PostgresNIO
import Storage

/// A council's own wording for its letters: read for the admin page, saved (once it renders) or
/// reset to Kerb's default, each change audited in the same transaction. The one owner of
/// `letter_templates` besides `Letters.record`, which reads it while rendering.
public struct LetterTemplates: Sendable {
    public let database: TenantDatabase
    public let letters: Letters

    public init(database: TenantDatabase, letters: Letters) {
        self.database = database
        self.letters = letters
    }

    public enum Failure: Error, Equatable {
        /// The wording does not render; the message says why, for the form.
        case doesNotRender(String)
    }

    /// The council's own wording by letter kind (kinds without one use Kerb's default).
    public func own(_ scope: TenantScope, logger: Logger) async throws -> [LetterKind: String] {
        try await database.transaction(scope, logger: logger) { conn in
            var own: [LetterKind: String] = [:]
            for try await (kind, body) in try await conn.query("SELECT kind, body FROM letter_templates", logger: logger)
                .decode((String, String).self)
            {
                if let kind = LetterKind(rawValue: kind) { own[kind] = body }
            }
            return own
        }
    }

    /// Saves the council's wording for `kind` if it renders, or with `body` nil goes back to the
    /// default. `actor` is the audit entry of who does it (its action and target are set here).
    public func save(_ scope: TenantScope, _ kind: LetterKind, body: String?, actor: AuditEvent, userID: UUID, logger: Logger)
        async throws
    {
        if let body, let problem = letters.problem(with: body) { throw Failure.doesNotRender(problem) }
        var event = actor
        event.action = body == nil ? "letters.reset" : "letters.change"
        event.target = kind.rawValue
        try await database.transaction(scope, logger: logger) { conn in
            let before = try await Self.current(conn, kind, logger)
            if let body {
                _ = try await conn.query(
                    """
                    INSERT INTO letter_templates (kind, body, updated_by) VALUES (\(kind.rawValue), \(body), \(userID))
                    ON CONFLICT (kind) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = now()
                    """, logger: logger)
            } else {
                _ = try await conn.query("DELETE FROM letter_templates WHERE kind = \(kind.rawValue)", logger: logger)
            }
            try await AuditLog.record(
                event, before: AuditLog.fields(["wording": before]), after: AuditLog.fields(["wording": body]), on: conn, logger: logger)
        }
    }

    private static func current(_ conn: PostgresConnection, _ kind: LetterKind, _ logger: Logger) async throws -> String? {
        for try await body in try await conn.query("SELECT body FROM letter_templates WHERE kind = \(kind.rawValue)", logger: logger)
            .decode(String.self)
        { return body }
        return nil
    }
}
