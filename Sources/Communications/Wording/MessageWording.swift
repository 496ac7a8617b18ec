import Foundation
import Logging
import Notify
import PostgresNIO

/// The wording a message is rendered from: the council's latest version for its kind and
/// channel, or Kerb's default (version 0), in GOV.UK Notify's syntax.
public struct Wording: Sendable, Hashable {
    public let template: NotifyTemplate
    /// The council's version number, 0 for Kerb's default.
    public let version: Int
}

/// Kerb's default wording (bundled text files, one per kind for letters and email and one for
/// text messages) and the rules a council's own wording must meet before it is saved.
public struct MessageWording: Sendable {
    struct Key: Hashable {
        var kind: MessageKind
        var channel: NotifyChannel
    }
    let defaults: [Key: NotifyTemplate]

    public static func bundled() throws -> MessageWording {
        var defaults: [Key: NotifyTemplate] = [:]
        func read(_ name: String) throws -> String? {
            guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "wording") else { return nil }
            return try String(contentsOf: url, encoding: .utf8)
        }
        for kind in MessageKind.allCases {
            guard let written = try read(kind.rawValue) else { throw CommunicationsError.missingWording(kind.rawValue) }
            let parsed = parse(written)
            for channel in kind.channels {
                if channel == .sms {
                    guard let text = try read(kind.rawValue + ".sms") else {
                        throw CommunicationsError.missingWording(kind.rawValue + ".sms")
                    }
                    defaults[Key(kind: kind, channel: .sms)] = NotifyTemplate(body: text.trimmingCharacters(in: .whitespacesAndNewlines))
                } else {
                    defaults[Key(kind: kind, channel: channel)] = parsed
                }
            }
        }
        return MessageWording(defaults: defaults)
    }

    /// A wording file: `subject: …` on the first line, a blank line, then the body.
    static func parse(_ text: String) -> NotifyTemplate {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("subject:") else {
            return NotifyTemplate(body: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let subject = first.dropFirst("subject:".count).trimmingCharacters(in: .whitespaces)
        let body = lines.dropFirst().joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return NotifyTemplate(body: body, subject: subject)
    }

    /// Kerb's default wording for the kind and channel (shown beside the council's own and
    /// restored by a reset).
    public func defaultWording(_ kind: MessageKind, _ channel: NotifyChannel) -> NotifyTemplate {
        defaults[Key(kind: kind, channel: channel)] ?? NotifyTemplate(body: "")
    }

    /// The wording in force for `kind` by `channel`, read in the caller's transaction.
    public func current(_ kind: MessageKind, _ channel: NotifyChannel, on conn: PostgresConnection, logger: Logger) async throws
        -> Wording
    {
        for try await (version, subject, body) in try await conn.query(
            """
            SELECT version, subject, body FROM message_templates WHERE kind = \(kind.rawValue) AND channel = \(channel.rawValue)
            ORDER BY version DESC LIMIT 1
            """, logger: logger
        ).decode((Int, String, String?).self) {
            guard let body else { break }
            return Wording(template: NotifyTemplate(body: body, subject: subject), version: version)
        }
        return Wording(template: defaultWording(kind, channel), version: 0)
    }

    /// Why a council's wording cannot be saved, or nil: it must not be empty, may only use the
    /// kind's fields (so no message ever fails to render for want of one), and a text message must
    /// fit Notify's 918 characters with sample values.
    public func problem(_ kind: MessageKind, _ channel: NotifyChannel, subject: String, body: String) -> String? {
        guard kind.channels.contains(channel) else { return "\(kind.title) messages are not sent by \(channel.rawValue)" }
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return "Enter the wording" }
        guard body.count <= 20_000, subject.count <= 200 else { return "The wording is too long" }
        if channel != .sms, subject.trimmingCharacters(in: .whitespaces).isEmpty { return "Enter a subject" }
        let template = NotifyTemplate(body: body, subject: channel == .sms ? "" : subject)
        let allowed = Set(kind.fields.map(NotifyTemplate.key))
        let unknown = template.placeholders.filter { !allowed.contains(NotifyTemplate.key($0)) }
        guard unknown.isEmpty else {
            return "Kerb does not fill in " + unknown.map { "((\($0)))" }.joined(separator: ", ") + ": use only the fields listed"
        }
        if channel == .sms, let rendered = try? template.render(kind.sample, bullets: false), rendered.body.count > 918 {
            return "A text message can be at most 918 characters; this one is \(rendered.body.count) with example values"
        }
        return nil
    }
}

public enum CommunicationsError: Error, Sendable, Equatable {
    case missingWording(String)
    /// A council's wording that does not meet ``MessageWording/problem(_:_:subject:body:)``.
    case doesNotRender(String)
    case noSuchMessage
    case noSuchBulkSend
}
