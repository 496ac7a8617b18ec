import Foundation
import Logging
import Notify
import PostgresNIO

/// Writes messages to the council's outbox in the caller's transaction, so a message exists if
/// and only if the step that causes it commits; the dispatcher sends it afterwards. The message
/// is rendered here, from the wording in force, and kept as rendered: the case shows exactly
/// what the person was sent.
public struct Outbox: Sendable {
    public let wording: MessageWording

    public init(wording: MessageWording) {
        self.wording = wording
    }

    /// What a message is about, for the case page and for erasure.
    public struct About: Sendable {
        public var applicationID: UUID?
        public var personID: UUID?
        public var userID: UUID?
        public var bulkID: UUID?

        public init(applicationID: UUID? = nil, personID: UUID? = nil, userID: UUID? = nil, bulkID: UUID? = nil) {
            self.applicationID = applicationID
            self.personID = personID
            self.userID = userID
            self.bulkID = bulkID
        }
    }

    public struct Queued: Sendable, Equatable {
        public let id: UUID
        public let channel: NotifyChannel
        public let held: Bool
    }

    /// Renders `kind` for `addressee` and writes it to the outbox, due at once; `by` is the
    /// person whose step caused it (nil for the system), `at` the step's time. Throws ``NotifyTemplateError`` if the personalisation
    /// lacks a field the wording uses (saved wording only uses the kind's fields).
    @discardableResult
    public func enqueue(
        _ kind: MessageKind, to addressee: Addressee, about: About, personalisation: [String: NotifyValue], by: UUID?, at: Date,
        on conn: PostgresConnection, logger: Logger
    ) async throws -> Queued {
        var wordings: [NotifyChannel: Wording] = [:]
        let rendered = try await render(kind, for: addressee, personalisation, wordings: &wordings, on: conn, logger: logger)
        let route = rendered.route
        let state = route.held == nil ? "queued" : "held"
        var id: UUID?
        for try await value in try await conn.query(
            """
            INSERT INTO messages (application_id, person_id, user_id, bulk_id, kind, channel, template_version, subject, body,
                addressee, recipient, state, last_error, created_by, created_at, next_attempt_at)
            VALUES (\(about.applicationID), \(about.personID), \(about.userID), \(about.bulkID), \(kind.rawValue),
                \(route.channel.rawValue), \(rendered.version), \(rendered.subject), \(rendered.body), \(addressee.name),
                \(route.recipient), \(state), \(route.held), \(by), \(at), \(at))
            RETURNING id
            """, logger: logger
        ).decode(UUID.self) { id = value }
        guard let id else { throw CommunicationsError.noSuchMessage }
        return Queued(id: id, channel: route.channel, held: route.held != nil)
    }
}

extension Outbox {
    /// The outbox with Kerb's bundled default wording.
    public static func bundled() throws -> Outbox { Outbox(wording: try MessageWording.bundled()) }
}

extension Outbox {
    /// A message rendered for its addressee: how it goes, which version of the wording, and what it says.
    public struct Rendered: Sendable {
        public let route: Addressee.Route
        public let version: Int
        public let subject: String
        public let body: String
    }

    /// Renders `kind` for `addressee` from the wording in force for the channel it goes by,
    /// reading each channel's wording once into `wordings` (a batch renders many with one lookup).
    public func render(
        _ kind: MessageKind, for addressee: Addressee, _ personalisation: [String: NotifyValue], wordings: inout [NotifyChannel: Wording],
        on conn: PostgresConnection, logger: Logger
    ) async throws -> Rendered {
        let route = addressee.route(for: kind)
        let found: Wording
        if let known = wordings[route.channel] {
            found = known
        } else {
            found = try await wording.current(kind, route.channel, on: conn, logger: logger)
            wordings[route.channel] = found
        }
        let text = try found.template.render(personalisation, bullets: route.channel != .sms)
        return Rendered(route: route, version: found.version, subject: text.subject, body: text.body)
    }
}
