import Foundation
import Logging
import Mustache
import PostgresNIO

/// The letters casework produces. Raw values are stored and name the template.
public enum LetterKind: String, Sendable, CaseIterable {
    case acknowledgement
    case evidenceRequest = "evidence-request"
    case approval
    case refusal
    case reviewOutcome = "review-outcome"
    case paymentRequest = "payment-request"
    case badgeOrdered = "badge-ordered"
    case renewalInvitation = "renewal-invitation"

    public var title: String {
        switch self {
        case .acknowledgement: "Acknowledgement"
        case .evidenceRequest: "Evidence request"
        case .approval: "Approval"
        case .refusal: "Refusal with reasons"
        case .reviewOutcome: "Review outcome"
        case .paymentRequest: "Fee request"
        case .badgeOrdered: "Badge ordered"
        case .renewalInvitation: "Renewal invitation"
        }
    }
}

/// Renders letters from Mustache templates (plain text): the council's own wording when it has
/// stored one, Kerb's default otherwise, and records each on the case exactly as rendered. The
/// one place casework's letters come from; delivery through GOV.UK Notify will read these rows.
public struct Letters: Sendable {
    let defaults: [LetterKind: String]

    public static func bundled() throws -> Letters {
        var defaults: [LetterKind: String] = [:]
        for kind in LetterKind.allCases {
            guard let url = Bundle.module.url(forResource: kind.rawValue, withExtension: "mustache", subdirectory: "letters") else {
                throw LettersError.missingTemplate(kind.rawValue)
            }
            defaults[kind] = try String(contentsOf: url, encoding: .utf8)
        }
        return Letters(defaults: defaults)
    }

    /// The letter text for `context` (a dictionary of the template's fields).
    public func render(_ kind: LetterKind, councilTemplate: String?, _ context: [String: any Sendable]) throws -> String {
        let source = councilTemplate ?? defaults[kind] ?? ""
        let template = try MustacheTemplate(string: source.hasPrefix("{{%") ? source : "{{% CONTENT_TYPE: TEXT}}\n" + source)
        return template.render(context).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    /// Renders and records a letter in the caller's transaction (so a decision and its letter
    /// commit together). Returns the letter's id.
    @discardableResult
    public func record(
        _ kind: LetterKind, applicationID: UUID, channel: String, context: [String: any Sendable], by userID: UUID?,
        on conn: PostgresConnection, logger: Logger
    ) async throws -> UUID {
        var councilTemplate: String?
        for try await body in try await conn.query("SELECT body FROM letter_templates WHERE kind = \(kind.rawValue)", logger: logger)
            .decode(String.self)
        { councilTemplate = body }
        let body = try render(kind, councilTemplate: councilTemplate, context)
        var id: UUID?
        for try await value in try await conn.query(
            """
            INSERT INTO letters (application_id, kind, body, channel, created_by)
            VALUES (\(applicationID), \(kind.rawValue), \(body), \(channel), \(userID)) RETURNING id
            """, logger: logger
        ).decode(UUID.self) { id = value }
        return id!
    }
}

public enum LettersError: Error {
    case missingTemplate(String)
}

/// A council's own wording for one kind of letter.
public struct LetterTemplateEdit: Sendable {
    public let kind: LetterKind
    public let body: String
    public let isCouncilsOwn: Bool
}

extension Letters {
    /// Kerb's default wording (shown beside the council's own, and restored by a reset).
    public func defaultTemplate(_ kind: LetterKind) -> String {
        (defaults[kind] ?? "").replacingOccurrences(of: "{{% CONTENT_TYPE: TEXT}}\n", with: "")
    }

    /// Checks a template compiles and renders against sample facts; nil if fine, else the problem.
    public func problem(with body: String) -> String? {
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return "Enter the letter's wording" }
        do {
            _ = try render(
                .acknowledgement, councilTemplate: body, ["council": "Council", "applicant": "Applicant", "reference": "BB-0000-000000"])
            return nil
        } catch {
            return "The template has a mistake in its {{placeholders}}: check every {{#section}} has a matching {{/section}}"
        }
    }
}
