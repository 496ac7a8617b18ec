import Foundation
import HTTPTypes
import Hummingbird
import Identity
import KerbCore

/// Puts the signed-in user (if any) on a council request and guards every form against
/// cross-site request forgery.
///
/// The session cookie holds a random token whose hash is looked up in the council's own schema,
/// so a cookie from one council means nothing at another. Every state-changing request outside
/// the API must carry a `csrf` field equal to the HMAC of the cookie the browser holds: the
/// session token, or before sign-in an anonymous form token set here.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext
    let sessions: SessionService
    let cookies: SessionCookies
    let clock: WallClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        let sessionToken = request.cookies[SessionCookies.session]?.value
        let formToken = request.cookies[SessionCookies.form]?.value
        var newFormToken: String?
        if let sessionToken {
            context.user = try await sessions.authenticate(
                context.tenant.scope, token: sessionToken, now: clock.now(), logger: context.logger)
            context.csrfSecret = sessionToken
            if let user = context.user { context.logger[metadataKey: "kerb.user"] = .string(user.userID.uuidString) }
        } else if let formToken {
            context.csrfSecret = formToken
        } else {
            newFormToken = SessionService.newToken()
            context.csrfSecret = newFormToken
        }
        if Self.changesState(request.method), !request.uri.path.contains("/api/") {
            // A file upload's CSRF token is in its multipart body, before the file: the upload
            // routes' handlers check it (`UploadForm.read`) before keeping any byte. No other
            // route takes a multipart body.
            if UploadForm.isMultipart(request.headers[.contentType]) {
                guard let endpoint = context.endpointPath, UploadForm.endpoints.contains(endpoint) else {
                    throw MalformedRequest.notAForm
                }
                return try await next(request, context)
            }
            let form = try await FormFields.read(&request)
            guard let secret = sessionToken ?? formToken, SessionService.csrfMatches(form["csrf"] ?? "", sessionToken: secret) else {
                context.logger.notice("form refused: CSRF token missing or wrong")
                throw FormExpired()
            }
        }
        var response = try await next(request, context)
        if let newFormToken { response.setCookie(cookies.form(newFormToken, basePath: context.basePath)) }
        return response
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .put || method == .patch || method == .delete
    }
}

/// The cookies Kerb sets: HttpOnly always, Secure unless running plain-HTTP tests, SameSite, and
/// scoped to the council's path when it is reached by `/t/<slug>/`.
struct SessionCookies: Sendable {
    static let session = "kerb_session"
    static let form = "kerb_form"
    let secure: Bool

    func session(_ token: String, basePath: String) -> Cookie {
        Cookie(name: Self.session, value: token, path: basePath + "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// Expires the session cookie (sign-out).
    func clearSession(basePath: String) -> Cookie {
        Cookie(name: Self.session, value: "", maxAge: 0, path: basePath + "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    func form(_ token: String, basePath: String) -> Cookie {
        Cookie(name: Self.form, value: token, path: basePath + "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
