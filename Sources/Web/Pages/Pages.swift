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
            case 404: "Page not found"
            case 503: "Sorry, the service is unavailable"
            case 500...: "Sorry, there is a problem with the service"
            default: problem.title
            }
        let detail = problem.detail ?? (problem.status == 404 ? "If you typed the web address, check it is correct." : nil)
        return try render(
            "error",
            ErrorPage(title: title, detail: detail, requestID: problem.instance, authorityName: authorityName, homeHref: homeHref),
            status: .init(code: problem.status))
    }
}

enum PagesError: Error {
    case missingTemplates
    case unknownTemplate(String)
}

/// Every page shares the layout's fields.
struct ErrorPage: Sendable {
    let title: String
    let detail: String?
    let requestID: String
    let authorityName: String?
    let homeHref: String
    let serviceName = "Kerb Blue Badge"
}

struct ServiceHomePage: Sendable {
    let requestID: String
    let homeHref = "/"
    let serviceName = "Kerb Blue Badge"
    let authorityName: String? = nil
}

struct TenantHomePage: Sendable {
    let authorityName: String
    let nation: String
    let band: String
    let status: String
    /// Sign-in arrives with the identity work (issue 3); until then the page says so instead of
    /// linking to a page that does not exist.
    let signInOpen: Bool
    let homeHref: String
    let requestID: String
    let serviceName = "Kerb Blue Badge"
}
