import Foundation
import Logging
import Notify
import PostgresNIO

extension Outbox {
    /// One message of a batch: who it is for, what it is about, and its fields.
    public struct Item: Sendable {
        public var addressee: Addressee
        public var applicationID: UUID
        public var personID: UUID
        public var personalisation: [String: NotifyValue]

        public init(addressee: Addressee, applicationID: UUID, personID: UUID, personalisation: [String: NotifyValue]) {
            self.addressee = addressee
            self.applicationID = applicationID
            self.personID = personID
            self.personalisation = personalisation
        }
    }

    /// Renders and writes a batch of one kind for bulk send `bulkID` in one statement, in the
    /// caller's transaction. A person who already has this bulk send's message is skipped
    /// (`messages_bulk_once`), so a run resumed after a crash adds only the missing ones.
    /// Returns how many were written.
    public func enqueue(
        _ kind: MessageKind, _ items: [Item], bulkID: UUID, by: UUID?, at: Date, on conn: PostgresConnection, logger: Logger
    ) async throws -> Int {
        guard !items.isEmpty else { return 0 }
        var wordings: [NotifyChannel: Wording] = [:]
        var applications: [UUID] = [], people: [UUID] = [], channels: [String] = [], versions: [Int] = [], subjects: [String] = []
        var bodies: [String] = [], addressees: [String] = [], recipients: [String] = [], states: [String] = [], notes: [String] = []
        for item in items {
            let rendered = try await render(kind, for: item.addressee, item.personalisation, wordings: &wordings, on: conn, logger: logger)
            let route = rendered.route
            applications.append(item.applicationID)
            people.append(item.personID)
            channels.append(route.channel.rawValue)
            versions.append(rendered.version)
            subjects.append(rendered.subject)
            bodies.append(rendered.body)
            addressees.append(item.addressee.name)
            recipients.append(route.recipient)
            states.append(route.held == nil ? "queued" : "held")
            notes.append(route.held ?? "")
        }
        let written = try await conn.query(
            """
            INSERT INTO messages (application_id, person_id, bulk_id, kind, channel, template_version, subject, body, addressee,
                recipient, state, last_error, created_by, created_at, next_attempt_at)
            SELECT a, p, \(bulkID), \(kind.rawValue), c, v, s, b, n, r, st, nullif(e, ''), \(by), \(at), \(at)
            FROM unnest(\(applications)::uuid[], \(people)::uuid[], \(channels)::text[], \(versions)::int[], \(subjects)::text[],
                \(bodies)::text[], \(addressees)::text[], \(recipients)::text[], \(states)::text[], \(notes)::text[])
                AS batch (a, p, c, v, s, b, n, r, st, e)
            ON CONFLICT (bulk_id, person_id) WHERE bulk_id IS NOT NULL DO NOTHING
            RETURNING 1
            """, logger: logger
        ).collect()
        return written.count
    }
}
