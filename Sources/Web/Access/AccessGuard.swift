import Audit
import Casework
import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy
import Storage

/// The one place routes ask "who is this, and may they?". Every protected route calls
/// `require`, which asks `AccessPolicy.decide` and records each refusal in the council's audit
/// trail before answering 403. Pages that only need a signed-in person call `signedIn`.
struct AccessGuard: Sendable {
    let database: TenantDatabase

    /// The fully signed-in user. Anyone else is sent to sign in; a user whose password has
    /// expired is sent to change it first (unless this is that page).
    func signedIn(_ context: some CouncilRequestContext, allowingExpiredPassword: Bool = false) throws -> SignedInUser {
        guard let user = context.currentUser, user.stage == .complete else { throw Redirect(to: context.basePath + "/sign-in") }
        if user.passwordExpired, !allowingExpiredPassword { throw Redirect(to: context.basePath + "/account/password") }
        return user
    }

    /// The signed-in user if the policy engine allows `permission`; otherwise the refusal is
    /// audited and the request ends with 403.
    @discardableResult
    func require(_ permission: Permission, _ context: some CouncilRequestContext, target: AccessTarget = .none, resource: String = "")
        async throws -> SignedInUser
    {
        let user = try signedIn(context)
        guard case .deny(let reason) = AccessPolicy.decide(user.principal, permission, target) else { return user }
        let event = AuditEvent(
            actorID: user.userID, actor: user.fullName, action: "access.denied",
            target: [permission.rawValue, resource].filter { !$0.isEmpty }.joined(separator: " "), outcome: .denied,
            detail: reason.rawValue, requestID: context.id)
        try await AuditLog.record(event, database: database, scope: context.tenant.scope, logger: context.logger)
        context.logger.notice("access denied", metadata: ["kerb.permission": .string(permission.rawValue)])
        throw AccessDenied(reason: reason)
    }

    /// As `require`, but a refusal because the resource belongs to another team answers as if it
    /// did not exist (`hidden`), so people cannot probe for other teams' cases. Still audited.
    @discardableResult
    func require(
        _ permission: Permission, _ context: some CouncilRequestContext, target: AccessTarget, hiding hidden: any Error, resource: String
    )
        async throws -> SignedInUser
    {
        do {
            return try await require(permission, context, target: target, resource: resource)
        } catch let denied as AccessDenied where denied.reason == .outsideTeam {
            throw hidden
        }
    }

    /// The signed-in person (or API key) as the acting identity of a use case. The route's
    /// declared permission has already been checked; the use case decides again on the record.
    func actor(_ context: some CouncilRequestContext) throws -> Actor {
        try signedIn(context).actor(context)
    }

    /// The actor of an audited change.
    static func actor(_ user: SignedInUser, _ context: some RequestContext) -> AuditEvent {
        AuditEvent(actorID: user.userID, actor: user.fullName, action: "", requestID: context.id)
    }
}

/// A form whose CSRF token is missing or does not match the browser's cookie.
struct FormExpired: KerbError {
    var kind: KerbErrorKind { .forbidden }
    var code: String { "web.form-expired" }
    var publicDetail: String { "This form has expired. Go back, reload the page and try again." }
}

/// Ends a request with 303 See Other (thrown from guards, so handlers stay linear).
struct Redirect: Error {
    let to: String
}

extension SignedInUser {
    /// The person as casework records them on a case's timeline.
    var officer: Officer { Officer(id: userID, name: fullName) }

    /// This person as the acting identity of a use case, for this request.
    func actor(_ context: some CouncilRequestContext) -> Actor {
        Actor(officer: officer, principal: principal, requestID: context.id, client: context.client)
    }
}
