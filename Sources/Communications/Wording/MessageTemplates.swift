import Audit
import Foundation
import Logging
import Notify
import PostgresNIO
import Storage

/// A council's own wording for its messages: read for the templates page, saved as a new
/// version (once it passes ``MessageWording/problem(_:_:subject:body:)``) or reset to Kerb's
/// default, each change audited in the same transaction. Versions are never changed or removed,
/// so the wording behind any message sent can be shown.
public struct MessageTemplates: Sendable {
    public let database: TenantDatabase
    public let wording: MessageWording

    public init(database: TenantDatabase, wording: MessageWording) {
        self.database = database
        self.wording = wording
    }

    /// One version of a kind's wording by one channel.
    public struct Version: Sendable, Equatable {
        public let kind: MessageKind
        public let channel: NotifyChannel
        /// 0 for Kerb's default.
        public let version: Int
        public let subject: String
        public let body: String
        public let isCouncilsOwn: Bool
        public let savedAt: Date?
        public let savedBy: String?
    }

    /// The wording in force for every kind and channel.
    public func current(_ scope: TenantScope, logger: Logger) async throws -> [Version] {
        let saved = try await database.transaction(scope, logger: logger) { conn in
            try await Self.versions(conn, latestOnly: true, logger)
        }
        var latest: [MessageWording.Key: Version] = [:]
        for version in saved { latest[MessageWording.Key(kind: version.kind, channel: version.channel)] = version }
        return MessageKind.allCases.flatMap { kind in
            kind.channels.map { channel in
                let saved = latest[MessageWording.Key(kind: kind, channel: channel)]
                if let saved, saved.isCouncilsOwn { return saved }
                let template = wording.defaultWording(kind, channel)
                return Version(
                    kind: kind, channel: channel, version: saved?.version ?? 0, subject: template.subject, body: template.body,
                    isCouncilsOwn: false, savedAt: saved?.savedAt, savedBy: saved?.savedBy)
            }
        }
    }

    /// Every saved version of one kind and channel, newest first.
    public func history(_ scope: TenantScope, _ kind: MessageKind, _ channel: NotifyChannel, logger: Logger) async throws -> [Version] {
        try await database.transaction(scope, logger: logger) { conn in
            try await Self.versions(conn, latestOnly: false, logger).filter { $0.kind == kind && $0.channel == channel }
        }
    }

    /// Saves a new version of the council's wording, or with `body` nil goes back to Kerb's
    /// default (also a new version, so the history shows when). `actor` is the audit entry of
    /// who does it (its action and target are set here). Returns the new version's number.
    @discardableResult
    public func save(
        _ scope: TenantScope, _ kind: MessageKind, _ channel: NotifyChannel, subject: String, body: String?, actor: AuditEvent,
        userID: UUID, logger: Logger
    ) async throws -> Int {
        if let body, let problem = wording.problem(kind, channel, subject: subject, body: body) {
            throw CommunicationsError.doesNotRender(problem)
        }
        var event = actor
        event.action = body == nil ? "templates.reset" : "templates.change"
        event.target = "\(kind.rawValue)/\(channel.rawValue)"
        return try await database.transaction(scope, logger: logger) { conn in
            let before = try await wording.current(kind, channel, on: conn, logger: logger)
            var version = 0
            for try await next in try await conn.query(
                """
                INSERT INTO message_templates (kind, channel, version, subject, body, created_by)
                SELECT \(kind.rawValue), \(channel.rawValue), coalesce(max(version), 0) + 1, \(body == nil ? "" : subject), \(body), \(userID)
                FROM message_templates WHERE kind = \(kind.rawValue) AND channel = \(channel.rawValue)
                RETURNING version
                """, logger: logger
            ).decode(Int.self) { version = next }
            try await AuditLog.record(
                event,
                before: AuditLog.fields([
                    "version": String(before.version), "subject": before.template.subject, "wording": before.template.body,
                ]),
                after: AuditLog.fields(["version": String(version), "subject": body == nil ? nil : subject, "wording": body]), on: conn,
                logger: logger)
            return version
        }
    }

    static func versions(_ conn: PostgresConnection, latestOnly: Bool, _ logger: Logger) async throws -> [Version] {
        var versions: [Version] = []
        for try await (kind, channel, version, subject, body, at, by) in try await conn.query(
            """
            SELECT t.kind, t.channel, t.version, t.subject, t.body, t.created_at, u.full_name
            FROM message_templates t LEFT JOIN users u ON u.id = t.created_by
            WHERE NOT \(latestOnly) OR t.version = (SELECT max(l.version) FROM message_templates l
                                                     WHERE l.kind = t.kind AND l.channel = t.channel)
            """, logger: logger
        ).decode((String, String, Int, String, String?, Date, String?).self) {
            guard let kind = MessageKind(rawValue: kind), let channel = NotifyChannel(rawValue: channel) else { continue }
            versions.append(
                Version(
                    kind: kind, channel: channel, version: version, subject: subject, body: body ?? "", isCouncilsOwn: body != nil,
                    savedAt: at, savedBy: by))
        }
        return versions.sorted { $0.version > $1.version }
    }
}
