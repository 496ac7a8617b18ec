import Casework
import Communications
import Foundation
import Hummingbird
import KerbCore
import Notify
import Policy

/// The council's messages, for those who send them: what is waiting, sent and failed; the
/// messages someone has to act on; bulk sends with their progress; and a new bulk send,
/// previewed (count and sample) before it starts.
struct MessagesController: Sendable {
    let deps: WebDependencies
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("messages", .sendCommunications, use: list)
        group.post("messages/bulk/preview", .sendCommunications, use: preview)
        group.post("messages/bulk", .sendCommunications, use: start)
        group.post("messages/bulk/:send/cancel", .sendCommunications, use: cancel)
    }

    @Sendable func list(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let summary = try await OutboxStatus(cases: deps.cases).summary(context.tenant.scope, as: context.actor, logger: context.logger)
        let sends = try await deps.bulkMail.sends(context.tenant.scope, logger: context.logger)
        let notifySetUp = deps.external.notify?.service(context.tenant) != nil
        let page = MessagesPage(context: context, summary: summary, sends: sends, notifySetUp: notifySetUp).page
        return try pages.render("record", page)
    }

    @Sendable func preview(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: BulkSendForm.self, context: context)
        let selection = try form.chosen()
        let preview = try await deps.bulkMail.preview(context.tenant.scope, selection, as: context.actor, logger: context.logger)
        return try pages.render("record", MessagesPage.preview(context: context, selection: selection, preview))
    }

    @Sendable func start(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let form = try await request.decode(as: BulkSendForm.self, context: context)
        _ = try await deps.bulkMail.start(context.tenant.scope, try form.chosen(), as: context.actor, logger: context.logger)
        return .redirect(to: context.basePath + "/messages")
    }

    @Sendable func cancel(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let id = try context.parameters.require("send", as: UUID.self)
        do {
            try await deps.bulkMail.cancel(context.tenant.scope, id, as: context.actor, logger: context.logger)
        } catch CommunicationsError.noSuchBulkSend {
            throw HTTPError(.notFound)
        }
        return .redirect(to: context.basePath + "/messages")
    }
}
