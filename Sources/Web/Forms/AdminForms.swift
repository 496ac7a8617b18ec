import Casework
import Foundation
import KerbCore
import Policy

// The forms of the administration pages, each decoded from its post by `PageFormDecoder`.

/// A new access group: its name, purpose, permissions (ticked, sent as `permissions[]`) and
/// whether it reaches only its members' own teams' cases.
struct AccessGroupForm: Decodable, Sendable {
    @Trimmed var name: String
    @Trimmed var description: String
    var permissions: [Permission]?
    @Ticked var ownTeamsOnly: Bool

    enum CodingKeys: String, CodingKey { case name, description, permissions, ownTeamsOnly = "own-teams-only" }

    func grants(_ permission: Permission) -> Bool { permissions?.contains(permission) ?? false }
}

/// A new API key: the integration's name and the permissions it is given.
struct APIKeyForm: Decodable, Sendable {
    @Trimmed var name: String
    var permissions: [Permission]?

    func grants(_ permission: Permission) -> Bool { permissions?.contains(permission) ?? false }
}

/// A new account: the person and the access groups they start in (`groups[]`).
struct InviteForm: Decodable, Sendable {
    @Trimmed var fullName: String
    @Trimmed var email: String
    var groups: [UUID]?

    enum CodingKeys: String, CodingKey { case fullName = "full-name", email, groups }

    func chose(_ group: UUID) -> Bool { groups?.contains(group) ?? false }
}

/// One access group for a person.
struct GroupChoiceForm: Decodable, Sendable {
    var group: UUID
}

/// One team for a person.
struct TeamForm: Decodable, Sendable {
    @Trimmed var team: String
}

/// A letter's wording, or the button that goes back to Kerb's.
struct MessageTemplateForm: Decodable, Sendable {
    @Ticked var reset: Bool
    @Ticked var preview: Bool
    var subject: String?
    /// As typed: spacing in a letter is the author's.
    var body: String?
    /// A case to preview the wording with.
    var `case`: String?

    var caseReference: String? { `case`.flatMap(RecordReference.init)?.description }
}

/// The policy version to go back to.
struct PolicyVersionForm: Decodable, Sendable {
    var version: Int
}

/// The local policy form as posted: the reason, and the text of each setting by the policy path
/// `PolicyForm.entries` names it with (a checkbox left unticked is absent). Whether each text is
/// a whole number, a fee or a choice is for `PolicyForm.apply` to say, so every bad value is
/// listed at its own field instead of the first one refusing the whole form.
struct PolicyChangeForm: Decodable, Sendable {
    let reason: String
    let settings: [String: String]

    private struct Name: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        var settings: [String: String] = [:]
        for name in container.allKeys { settings[name.stringValue] = try container.decode(String.self, forKey: name) }
        reason = (settings.removeValue(forKey: "reason") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        self.settings = settings
    }
}

/// The bulk send form: which selection.
struct BulkSendForm: Decodable, Sendable {
    var selection: String

    func chosen() throws -> BulkSelection {
        guard let chosen = BulkSelection(rawValue: selection) else {
            throw CaseworkError.invalid([FieldIssue(field: "selection", message: "Choose who the message goes to")])
        }
        return chosen
    }
}
