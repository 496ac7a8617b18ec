import Foundation
import Identity
import KerbCore

/// One person's account as an administrator sees it (`admin-user`): status, access groups
/// (with removal), teams, open sessions and recent sign-in attempts.
struct UserPage: Sendable {
    struct Row: Sendable {
        let label: String
        let detail: String
        let action: String?
        let actionLabel: String?
    }

    let name: String
    let email: String
    let status: String
    let locked: Bool
    let twoFactor: String
    let memberships: [Row]
    let groupOptions: [FormField.Option]
    let teams: [String]
    let sessions: [Row]
    let attempts: [Row]
    let base: String
    let csrf: String
    /// An administrator cannot disable their own account.
    let isSelf: Bool
    let layout: Layout

    init(
        account: UserDirectory.Account, memberships: [AccessGroupService.Membership], groups: [AccessGroupService.GroupSummary],
        teams: [String], sessions: [SessionService.Session], attempts: [UserDirectory.Attempt], viewer: SignedInUser, now: Date,
        in context: some CouncilRequestContext
    ) {
        name = account.fullName
        email = account.email
        status = account.status.capitalized
        locked = account.isLocked(at: now)
        twoFactor = account.hasTOTP ? "On" : "Not set up"
        self.memberships = memberships.map {
            Row(
                label: $0.groupName, detail: $0.status == "pending" ? "Waiting for approval" : "Active",
                action: $0.status == "active" ? "\(context.basePath)/admin/memberships/\($0.id)/revoke" : nil,
                actionLabel: $0.status == "active" ? "Remove" : nil)
        }
        groupOptions = groups.map { FormField.Option(value: $0.id.uuidString, label: $0.name, selected: false) }
        self.teams = teams
        self.sessions = sessions.map {
            Row(
                label: $0.userAgent.map(Formats.device) ?? "Unknown", detail: "Last active \(Formats.dateTime($0.lastSeenAt))", action: nil,
                actionLabel: nil)
        }
        self.attempts = attempts.map { Row(label: $0.outcome, detail: Formats.dateTime($0.at), action: nil, actionLabel: nil) }
        base = "\(context.basePath)/admin/users/\(account.id)"
        csrf = context.csrfToken
        isSelf = account.id == viewer.userID
        layout = .council(context, current: "/admin/users")
    }
}

extension FormPage {
    /// A new account: the person, and the access groups they start in.
    static func invite(
        groups: [AccessGroupService.GroupSummary], viewer: SignedInUser, form: InviteForm?, issues: [FieldIssue],
        in context: some CouncilRequestContext
    ) -> FormPage {
        let fields =
            [
                FormField(
                    name: "full-name", label: "Full name", hint: "One account per person: never a team or shared name",
                    value: form?.fullName ?? ""),
                FormField(name: "email", label: "Work email address", value: form?.email ?? "", kind: .email),
            ]
            + groups.map {
                FormField.choice(of: "groups", $0.id.uuidString, label: $0.name, hint: $0.description, checked: form?.chose($0.id) ?? false)
            }
        let model = FormModel(
            action: context.basePath + "/admin/users/new", csrf: context.csrfToken, fields: fields, submit: "Create account")
        let lead =
            viewer.security.accessChangesNeedSecondAdmin
            ? ["Your local policy says a second administrator must approve access groups before they take effect."] : []
        return FormPage(
            title: "Invite a user", lead: lead, form: model.with(errors: issues), layout: .council(context, current: "/admin/users"))
    }
}

extension MessagePage {
    /// The new account's one-time set-up link, shown once to the administrator who made it.
    static func accountCreated(for name: String, link: String, groupsWaiting: Bool, in context: some CouncilRequestContext)
        -> MessagePage
    {
        MessagePage(
            title: "Account created",
            lead: [
                "Kerb has emailed \(name) a one-time set-up link through GOV.UK Notify (see Messages). If it does not arrive, this is the same link: it works once, within 7 days, and is shown only now.",
                groupsWaiting ? "The access groups you chose wait for another administrator's approval." : "",
            ].filter { !$0.isEmpty }, secrets: [link],
            next: Layout.Link(label: "Back to users", href: context.basePath + "/admin/users", current: false),
            layout: .council(context, current: "/admin/users"))
    }
}
