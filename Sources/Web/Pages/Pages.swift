import Foundation
import Hummingbird
import Mustache

/// The server-rendered pages: one Mustache library loaded at boot (a bad template fails
/// startup, not a request) and one small view model per page, so domain objects never reach a
/// template. `{{x}}` escapes HTML; triple braces are banned.
public struct Pages: Sendable {
    let library: MustacheLibrary

    public static func load() async throws -> Pages {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw PagesError.missingTemplates
        }
        return Pages(library: try await MustacheLibrary(directory: folder.path))
    }

    /// Renders a page as `text/html; charset=utf-8`.
    func render(_ template: String, _ model: some Sendable, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = library.render(model, withTemplate: template) else { throw PagesError.unknownTemplate(template) }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// GOV.UK-style error pages; `homeHref` leads back to the council's own start page when known.
    func errorPage(_ problem: Problem, authorityName: String?, homeHref: String) throws -> Response {
        let title =
            switch problem.status {
            case 403: "You cannot do this"
            case 404: "Page not found"
            case 503: "Sorry, the service is unavailable"
            case 500...: "Sorry, there is a problem with the service"
            default: problem.title
            }
        let detail = problem.detail ?? (problem.status == 404 ? "If you typed the web address, check it is correct." : nil)
        return try render(
            "error",
            ErrorPage(
                title: title, detail: detail,
                layout: Layout(authorityName: authorityName, homeHref: homeHref, requestID: problem.instance)),
            status: .init(code: problem.status))
    }
}

enum PagesError: Error {
    case missingTemplates
    case unknownTemplate(String)
}

/// What every page's frame shows: the service and council names, the signed-in person with
/// their sign-out form, and navigation to what their access groups allow.
struct Layout: Sendable {
    struct Link: Sendable {
        let label: String
        let href: String
        let current: Bool
    }

    struct Account: Sendable {
        let name: String
        let accountHref: String
        let signOutHref: String
        let csrf: String
    }

    let serviceName = "Kerb Blue Badge"
    var authorityName: String?
    var homeHref: String
    var requestID: String
    var account: Account? = nil
    var nav: [Link] = []
}

struct ErrorPage: Sendable {
    let title: String
    let detail: String?
    let layout: Layout
}

struct ServiceHomePage: Sendable {
    let layout: Layout
}

struct TenantHomePage: Sendable {
    let authorityName: String
    let nation: String
    let status: String
    let signInHref: String
    let layout: Layout
}
