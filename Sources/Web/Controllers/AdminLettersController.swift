import Audit
import Communications
import Foundation
import Hummingbird
import KerbCore
import Policy

/// The council's own wording for the letters casework sends. Each kind shows the default; a
/// saved version replaces it for this council only (checked to render first), and can be reset.
struct AdminLettersController: Sendable {
    let templates: LetterTemplates
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/letters", .managePolicy, use: list)
        group.post("admin/letters/:kind", .managePolicy, use: save)
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

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        try await render(context, saved: request.uri.queryParameters.get("saved").flatMap { LetterKind(rawValue: $0)?.title })
    }

    @Sendable func save(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let kind = try context.parameters.require("kind", as: LetterKind.self)
        let form = try await request.decode(as: LetterTemplateForm.self, context: context)
        let body = form.reset ? nil : form.body ?? ""
        do {
            try await templates.save(
                context.tenant.scope, kind, body: body, actor: AccessGuard.actor(user, context), userID: user.userID, logger: context.logger
            )
        } catch LetterTemplates.Failure.doesNotRender(let problem) {
            return try await render(context, failing: (kind, body ?? "", problem), status: .unprocessableContent)
        }
        return .redirect(to: "\(context.basePath)/admin/letters?saved=\(kind.rawValue)")
    }

    private func render(
        _ context: SignedInRequestContext, saved: String? = nil, failing: (LetterKind, String, String)? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let own = try await templates.own(context.tenant.scope, logger: context.logger)
        let entries = LetterKind.allCases.map { kind in
            let failed = failing?.0 == kind ? failing : nil
            return LettersPage.Entry(
                kind: kind.rawValue, title: kind.title, body: failed?.1 ?? own[kind] ?? templates.letters.defaultTemplate(kind),
                own: own[kind] != nil, action: "\(context.basePath)/admin/letters/\(kind.rawValue)", error: failed?.2,
                placeholders: "{{council}} {{applicant}} {{reference}} {{date}} {{received}} {{targetDays}} {{reviewDays}} {{fee}}")
        }
        return try pages.render(
            "admin-letters",
            LettersPage(entries: entries, csrf: context.csrfToken, saved: saved, layout: .council(context, current: "/admin/letters")),
            status: status)
    }
}
