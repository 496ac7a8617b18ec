import Communications
import Foundation
import Logging
import Policy
import PostgresNIO
import Storage

/// The council's outbox at a glance, for those who send messages: how many are in each state,
/// and the messages someone has to act on (failed, or held for printing), newest first, with
/// the case each is about. Someone confined to their teams sees their teams' messages only.
public struct OutboxStatus: Sendable {
    let cases: CaseService

    public init(cases: CaseService) {
        self.cases = cases
    }

    public struct Entry: Sendable, Equatable {
        public let id: UUID
        public let kind: String
        public let channel: String
        public let addressee: String
        public let state: String
        public let reason: String?
        public let createdAt: Date
        public let caseReference: String?
    }

    public struct Summary: Sendable, Equatable {
        public let counts: [String: Int]
        public let toActOn: [Entry]
    }

    public func summary(_ scope: TenantScope, as actor: Actor, limit: Int = 100, logger: Logger) async throws -> Summary {
        let teams = try BulkMail.teams(actor)
        return try await cases.database.transaction(scope, logger: logger) { conn in
            var counts: [String: Int] = [:]
            for try await (state, count) in try await conn.query(
                """
                SELECT m.state, count(*)::int FROM messages m LEFT JOIN applications a ON a.id = m.application_id
                WHERE \(teams)::text[] IS NULL OR a.team = ANY(\(teams)) GROUP BY m.state
                """, logger: logger
            ).decode((String, Int).self) { counts[state] = count }
            var entries: [Entry] = []
            for try await row in try await conn.query(
                """
                SELECT m.id, m.kind, m.channel, m.addressee, m.state, m.last_error, m.created_at, a.reference
                FROM messages m LEFT JOIN applications a ON a.id = m.application_id
                WHERE m.state IN ('failed', 'held') AND (\(teams)::text[] IS NULL OR a.team = ANY(\(teams)))
                ORDER BY m.created_at DESC LIMIT \(limit)
                """, logger: logger
            ).decode((UUID, String, String, String, String, String?, Date, String?).self) {
                entries.append(
                    Entry(
                        id: row.0, kind: row.1, channel: row.2, addressee: row.3, state: row.4, reason: row.5, createdAt: row.6,
                        caseReference: row.7))
            }
            return Summary(counts: counts, toActOn: entries)
        }
    }
}
