import Identity
import KerbCore
import Policy

extension Layout {
    /// The frame of a council page: the council's name, the signed-in person, and navigation
    /// to the sections their access groups open (links to refused pages are not shown; the
    /// routes refuse them anyway).
    static func council(_ context: some CouncilRequestContext, current: String? = nil) -> Layout {
        let base = context.basePath
        var layout = Layout(authorityName: context.tenant.displayName, homeHref: base + "/", requestID: context.id)
        guard let user = context.currentUser else { return layout }
        layout.account = Account(
            name: user.fullName, accountHref: base + "/account", signOutHref: base + "/sign-out", csrf: context.csrfToken)
        guard user.stage == .complete, !user.passwordExpired else { return layout }
        let sections: [(String, String, Permission?)] = [
            ("Home", "/", nil),
            ("Cases", "/cases", .viewCase),
            ("Badges", "/badges", .viewCase),
            ("Enforcement", "/enforcement", .manageEnforcement),
            ("Messages", "/messages", .sendCommunications),
            ("Reports", "/mi", .viewMI),
            ("Users", "/admin/users", .manageUsers),
            ("Access groups", "/admin/groups", .manageUsers),
            ("API keys", "/admin/api-keys", .manageUsers),
            ("Local policy", "/admin/policy", .managePolicy),
            ("Templates", "/admin/templates", .managePolicy),
            ("Audit trail", "/admin/audit", .viewAudit),
            ("Unusual activity", "/admin/flags", .viewAudit),
            ("Backups", "/admin/backups", .viewAudit),
        ]
        layout.nav = sections.compactMap { label, path, permission in
            if let permission, !AccessPolicy.decide(user.principal, permission).isAllowed { return nil }
            return Link(label: label, href: base + path, current: path == current)
        }
        return layout
    }
}

/// A page that is a heading, some lines of text and one form (sign-in, set-up, password…).
struct FormPage: Sendable {
    let title: String
    var lead: [String] = []
    var form: FormModel
    var links: [Layout.Link] = []
    let layout: Layout
}

/// A page that confirms something and offers the next step.
struct MessagePage: Sendable {
    let title: String
    var lead: [String] = []
    /// One-time values shown once (a set-up link, recovery codes), in a copyable list.
    var secrets: [String] = []
    var next: Layout.Link?
    let layout: Layout
}
