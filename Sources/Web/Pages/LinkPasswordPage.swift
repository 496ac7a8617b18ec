import Foundation
import HTTPTypes
import Hummingbird
import Identity
import KerbCore

/// The page where a one-time link (an account's set-up, a password reset) sets a password: the
/// token hidden, the password twice; and its submission, which both links answer the same way.
struct LinkPasswordPage: Sendable {
    /// Where the form posts, under the council.
    let path: String
    let title: String
    var lead: [String] = []
    let label: String
    let hint: String

    func render(
        _ pages: Pages, _ context: TenantRequestContext, token: String, issues: [FieldIssue] = [], status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let form = FormModel(
            action: context.basePath + path, csrf: context.csrfToken,
            fields: [
                FormField(name: "token", label: "", value: token, kind: .hidden),
                FormField(name: "password", label: label, hint: hint, kind: .password, autocomplete: "new-password"),
                FormField(name: "confirm", label: "Type the password again", kind: .password, autocomplete: "new-password"),
            ], submit: "Set password"
        ).with(errors: issues)
        return try pages.render("form-page", FormPage(title: title, lead: lead, form: form, layout: .council(context)), status: status)
    }

    /// Decodes the form, checks the two passwords agree, then runs `set(token, password)`: the
    /// page again with the problem (a link that does not work is a 404), or "Your password is set".
    func submit(
        _ request: Request, _ context: TenantRequestContext, _ pages: Pages, set: (String, String) async throws -> Void
    ) async throws -> Response {
        let form = try await request.decode(as: SetupForm.self, context: context)
        if let mismatch = form.mismatch {
            return try render(pages, context, token: form.token, issues: [mismatch], status: .unprocessableContent)
        }
        do {
            try await set(form.token, form.password ?? "")
        } catch let error as IdentityError {
            return try render(
                pages, context, token: form.token, issues: SetupForm.issues(error),
                status: error == .invalidSetupToken ? .notFound : .unprocessableContent)
        }
        return try pages.render("message", MessagePage.passwordSet(in: context))
    }
}
