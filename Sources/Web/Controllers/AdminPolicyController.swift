import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// Local policy editing for authority admins: the current rules as a form, the nation's
/// guardrails beside them, every breach listed at its field, and the version history with
/// rollback. The check is `PolicyCheck`, the same one `kerb policy check` runs.
struct AdminPolicyController: Sendable {
    let identity: IdentityServices
    let access: AccessGuard
    let pages: Pages

    func addRoutes(to group: DeclaredRoutes) {
        group.get("admin/policy", .managePolicy, use: show)
        group.post("admin/policy", .managePolicy, use: change)
        group.post("admin/policy/rollback", .managePolicy, use: rollBack)
        group.post("admin/policy/proposals/:proposal/approve", .managePolicy, use: approve)
    }

    @Sendable func show(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let current = try await identity.policies.current(context.tenant.scope, logger: context.logger)
        let saved =
            request.uri.queryParameters.get("proposed") != nil
            ? "The change switches protection off, so it waits for another administrator to approve it."
            : request.uri.queryParameters.get("saved").flatMap { Int($0) }.map { "Saved as version \($0)." }
        return try await render(context, document: current.document, saved: saved)
    }

    @Sendable func change(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let form = try await request.decode(as: PolicyChangeForm.self, context: context)
        var document = try await identity.policies.current(context.tenant.scope, logger: context.logger).document
        let nation = try await identity.policies.nation(context.tenant.scope, logger: context.logger)
        var issues = PolicyForm.apply(form, to: &document, guardrails: try PolicyFile.bundledGuardrails(nation))
        if issues.isEmpty {
            do {
                switch try await identity.policies.submit(
                    context.tenant.scope, to: document, reason: form.reason, actor: AccessGuard.actor(user, context),
                    logger: context.logger)
                {
                case .saved(let version): return .redirect(to: context.basePath + "/admin/policy?saved=\(version)")
                case .proposed: return .redirect(to: context.basePath + "/admin/policy?proposed=1")
                }
            } catch let error as PolicyError {
                guard case .invalid(let found) = error.kind else { throw error }
                issues = found
            } catch let error as LocalPolicyStore.Failure {
                guard case .invalid(let found) = error.kind else { throw error }
                issues = found
            }
        }
        return try await render(context, document: document, form: form, issues: issues, status: .unprocessableContent)
    }

    /// A second administrator approves a change that switches protection off.
    @Sendable func approve(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let id = try context.parameters.require("proposal", as: UUID.self)
        let version = try await identity.policies.approve(
            context.tenant.scope, proposal: id, actor: AccessGuard.actor(user, context), logger: context.logger)
        return .redirect(to: context.basePath + "/admin/policy?saved=\(version)")
    }

    @Sendable func rollBack(_ request: Request, context: SignedInRequestContext) async throws -> Response {
        let user = context.user
        let version = try await request.decode(as: PolicyVersionForm.self, context: context).version
        do {
            let new = try await identity.policies.rollBack(
                context.tenant.scope, to: version, actor: AccessGuard.actor(user, context), logger: context.logger)
            return .redirect(to: context.basePath + "/admin/policy?saved=\(new)")
        } catch let error as PolicyError {
            guard case .invalid(let issues) = error.kind else { throw error }
            let current = try await identity.policies.current(context.tenant.scope, logger: context.logger)
            return try await render(context, document: current.document, issues: issues, status: .unprocessableContent)
        }
    }

    private func render(
        _ context: SignedInRequestContext, document: LocalPolicyDocument, form: PolicyChangeForm? = nil, issues: [FieldIssue] = [],
        saved: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let scope = context.tenant.scope
        let nation = try await identity.policies.nation(scope, logger: context.logger)
        let guardrails = try PolicyFile.bundledGuardrails(nation)
        let versions = try await identity.policies.versions(scope, logger: context.logger)
        let proposals = try await identity.policies.pendingProposals(scope, logger: context.logger)
        return try pages.render(
            "admin-policy",
            PolicyPage(
                nation: nation, document: document, guardrails: guardrails, reason: form?.reason ?? "", issues: issues,
                versions: versions, proposals: proposals, saved: saved, viewer: context.user, in: context),
            status: status)
    }
}
