import Foundation

/// A council's GOV.UK Notify service as Kerb uses it: the council's API key and the ids of the
/// three templates Kerb sends through. Kerb renders every message itself (so the case keeps
/// exactly what was sent), so each template in Notify is a carrier: `((body))` under the subject
/// `((subject))` (a text message has only `((body))`).
public struct NotifyService: Sendable {
    public let key: NotifyAPIKey
    public let templates: [NotifyChannel: UUID]

    public init(key: NotifyAPIKey, templates: [NotifyChannel: UUID]) {
        self.key = key
        self.templates = templates
    }

    /// The templates file a council's secrets folder holds beside its key: one line per
    /// channel, `email <template id>`, `sms <template id>`, `letter <template id>`; other lines
    /// (comments, blanks) are ignored. Nil if it names no template.
    public static func templates(from text: String) -> [NotifyChannel: UUID]? {
        var templates: [NotifyChannel: UUID] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" })
            guard words.count == 2, let channel = NotifyChannel(rawValue: String(words[0])), let id = UUID(uuidString: String(words[1]))
            else {
                continue
            }
            templates[channel] = id
        }
        return templates.isEmpty ? nil : templates
    }

    /// The file ``templates(from:)`` reads.
    public static func templatesFile(_ templates: [NotifyChannel: UUID]) -> String {
        NotifyChannel.allCases.compactMap { channel in templates[channel].map { "\(channel.rawValue) \($0.uuidString.lowercased())" } }
            .joined(separator: "\n") + "\n"
    }
}
