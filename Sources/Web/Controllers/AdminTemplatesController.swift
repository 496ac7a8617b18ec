import Casework
import Communications
import Foundation
import Hummingbird
import KerbCore
import Notify
import Policy

/// The council's own wording for the messages Kerb sends, per kind and channel, in GOV.UK
/// Notify's syntax: the list, and one page per wording with its form, its fields, a preview with
/// a real case and its history. A save is a new version (checked first); a reset returns to
/// Kerb's default (also a version); both audited.
struct AdminTemplatesController: Sendable {
    let templates: MessageTemplates
    let cases: CaseService
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/templates", .managePolicy, use: list)
        group.get("admin/templates/:kind/:channel", .managePolicy, use: show)
        group.post("admin/templates/:kind/:channel", .managePolicy, use: save)
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let current = try await templates.current(context.tenant.scope, logger: context.logger)
        let saved = request.uri.queryParameters.get("saved")
        let rows = current.map { version in
            RecordPage.Table.Row(cells: [
                .init(
                    key: "Message", value: "\(version.kind.title) (\(version.channel.label))",
                    href: "\(context.basePath)/admin/templates/\(version.kind.rawValue)/\(version.channel.rawValue)"),
                .init(key: "Wording", value: version.isCouncilsOwn ? "Your wording, version \(version.version)" : "Kerb's default"),
                .init(key: "Changed", value: version.savedAt.map { "\(version.savedBy ?? "Someone"), \(Formats.dateTime($0))" } ?? "Never"),
            ])
        }
        let page = RecordPage(
            title: "Message templates",
            sections: [
                RecordPage.Section(
                    heading: "Wording",
                    lead: [
                        saved.map { "Saved: \($0)." },
                        "The wording of the letters, emails and text messages Kerb sends for your council, in GOV.UK Notify's style: ((field)) is filled in for each message, ((field??text)) shows the text only when the field is yes. A change applies to new messages only; messages already sent keep their wording.",
                    ].compactMap { $0 },
                    table: .init(headers: ["Message", "Wording", "Changed"], rows: rows))
            ], layout: .council(context, current: "/admin/templates"))
        return try pages.render("record", page)
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (kind, channel) = try wording(context)
        let current = try await templates.current(context.tenant.scope, logger: context.logger)
        guard let version = current.first(where: { $0.kind == kind && $0.channel == channel }) else { throw HTTPError(.notFound) }
        let caseReference = request.uri.queryParameters.get("case").flatMap(RecordReference.init)
        return try await render(
            context, kind, channel, subject: version.subject, body: version.body, caseReference: caseReference?.description)
    }

    @Sendable func save(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let (kind, channel) = try wording(context)
        let form = try await request.decode(as: MessageTemplateForm.self, context: context)
        let subject = form.subject ?? ""
        let body = form.body ?? ""
        if form.preview {
            return try await render(context, kind, channel, subject: subject, body: body, caseReference: form.caseReference)
        }
        do {
            try await templates.save(
                context.tenant.scope, kind, channel, subject: subject, body: form.reset ? nil : body,
                actor: AccessGuard.actor(context.user, context), userID: context.user.userID, logger: context.logger)
        } catch CommunicationsError.doesNotRender(let problem) {
            return try await render(context, kind, channel, subject: subject, body: body, problem: problem, status: .unprocessableContent)
        }
        let saved = "\(kind.title) (\(channel.label))".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return .redirect(to: "\(context.basePath)/admin/templates?saved=\(saved)")
    }

    private func wording(_ context: SignedInRequestContext) throws -> (MessageKind, NotifyChannel) {
        let kind = try context.parameters.require("kind", as: MessageKind.self)
        let channel = try context.parameters.require("channel", as: NotifyChannel.self)
        guard kind.channels.contains(channel) else { throw HTTPError(.notFound) }
        return (kind, channel)
    }

    private func render(
        _ context: SignedInRequestContext, _ kind: MessageKind, _ channel: NotifyChannel, subject: String, body: String,
        caseReference: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let history = try await templates.history(context.tenant.scope, kind, channel, logger: context.logger)
        let wording = NotifyTemplate(body: body, subject: channel == .sms ? "" : subject)
        var preview: (subject: String, body: String)?
        var previewProblem = problem ?? templates.wording.problem(kind, channel, subject: subject, body: body)
        if previewProblem == nil {
            if let caseReference, kind.isCasework {
                do {
                    preview = try await cases.previewMessage(
                        context.tenant.scope, reference: caseReference, kind: kind, channel: channel, wording: wording,
                        as: context.actor, logger: context.logger)
                } catch CaseworkError.noSuchCase {
                    previewProblem = "there is no case \(caseReference) you can open"
                } catch is AccessDenied {
                    previewProblem = "you cannot open cases, so the preview cannot use \(caseReference)"
                }
            } else {
                preview = try? wording.render(kind.sample, bullets: channel != .sms)
            }
        }
        let page = TemplatePage(
            title: "\(kind.title) (\(channel.label))", action: "\(context.basePath)/admin/templates/\(kind.rawValue)/\(channel.rawValue)",
            csrf: context.csrfToken, hasSubject: channel != .sms, subject: subject, body: body, problem: problem,
            fields: kind.fields.map { "((\($0))" + ")" }.joined(separator: " "), caseReference: caseReference ?? "",
            casework: kind.isCasework, previewProblem: problem == nil ? previewProblem : nil, previewSubject: preview?.subject ?? "",
            previewBody: preview?.body ?? "", hasPreview: preview != nil,
            history: history.map {
                TemplatePage.Version(
                    version: $0.version, kind: $0.isCouncilsOwn ? "Your wording" : "Back to Kerb's default",
                    by: "\($0.savedBy ?? "Someone"), \($0.savedAt.map(Formats.dateTime) ?? "")", subject: $0.subject, body: $0.body)
            },
            isOwn: history.first?.isCouncilsOwn ?? false,
            layout: .council(context, current: "/admin/templates"))
        return try pages.render("admin-template", page, status: status)
    }

    struct TemplatePage: Sendable {
        struct Version: Sendable {
            let version: Int
            let kind: String
            let by: String
            let subject: String
            let body: String
        }
        let title: String
        let action: String
        let csrf: String
        let hasSubject: Bool
        let subject: String
        let body: String
        let problem: String?
        let fields: String
        let caseReference: String
        let casework: Bool
        let previewProblem: String?
        let previewSubject: String
        let previewBody: String
        let hasPreview: Bool
        let history: [Version]
        let isOwn: Bool
        let layout: Layout
    }
}
