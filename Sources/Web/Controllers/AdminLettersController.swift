import Audit
import Communications
import Foundation
import Hummingbird
import KerbCore
import Policy
import PostgresNIO

/// The council's own wording for the letters casework sends. Each kind shows the default; a
/// saved version replaces it for this council only (checked to render first), and can be reset.
struct AdminLettersController: Sendable {
    let identity: IdentityServices
    let letters: Letters
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/letters", .permission(.managePolicy), use: list)
        group.post("admin/letters/:kind", .permission(.managePolicy), use: save)
    }

    struct LettersPage: Sendable {
        struct Entry: Sendable {
            let kind: String
            let title: String
            let body: String
            let own: Bool
            let action: String
            let error: String?
            let placeholders: String
        }

        let entries: [Entry]
        let csrf: String
        let saved: String?
        let layout: Layout
    }

    @Sendable func list(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try await access.require(.managePolicy, context)
        return try await render(context, saved: request.uri.queryParameters.get("saved").flatMap { LetterKind(rawValue: $0)?.title })
    }

    @Sendable func save(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let user = try await access.require(.managePolicy, context)
        guard let kind = context.parameters.get("kind").flatMap(LetterKind.init(rawValue:)) else { throw HTTPError(.notFound) }
        var request = request
        let form = try await FormFields.read(&request)
        let reset = form["reset"] == "yes"
        let body = form["body"] ?? ""
        if !reset, let problem = letters.problem(with: body) {
            return try await render(context, failing: (kind, body, problem), status: .unprocessableContent)
        }
        var event = AccessGuard.actor(user, context)
        event.action = reset ? "letters.reset" : "letters.change"
        event.target = kind.rawValue
        try await identity.database.transaction(context.tenant.scope, logger: context.logger) { conn in
            if reset {
                _ = try await conn.query("DELETE FROM letter_templates WHERE kind = \(kind.rawValue)", logger: context.logger)
            } else {
                _ = try await conn.query(
                    """
                    INSERT INTO letter_templates (kind, body, updated_by) VALUES (\(kind.rawValue), \(body), \(user.userID))
                    ON CONFLICT (kind) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = now()
                    """, logger: context.logger)
            }
            try await AuditLog.record(event, on: conn, logger: context.logger)
        }
        return .redirect(to: "\(context.basePath)/admin/letters?saved=\(kind.rawValue)")
    }

    private func render(
        _ context: TenantRequestContext, saved: String? = nil, failing: (LetterKind, String, String)? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let own: [String: String] = try await identity.database.transaction(context.tenant.scope, logger: context.logger) { conn in
            var own: [String: String] = [:]
            for try await (kind, body) in try await conn.query("SELECT kind, body FROM letter_templates", logger: context.logger)
                .decode((String, String).self)
            { own[kind] = body }
            return own
        }
        let entries = LetterKind.allCases.map { kind in
            let failed = failing?.0 == kind ? failing : nil
            return LettersPage.Entry(
                kind: kind.rawValue, title: kind.title, body: failed?.1 ?? own[kind.rawValue] ?? letters.defaultTemplate(kind),
                own: own[kind.rawValue] != nil, action: "\(context.basePath)/admin/letters/\(kind.rawValue)", error: failed?.2,
                placeholders: "{{council}} {{applicant}} {{reference}} {{date}} {{received}} {{targetDays}} {{reviewDays}} {{fee}}")
        }
        return try pages.render(
            "admin-letters",
            LettersPage(entries: entries, csrf: context.csrfToken, saved: saved, layout: .council(context, current: "/admin/letters")),
            status: status)
    }
}
