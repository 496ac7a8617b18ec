extension MessagePage {
    /// The recovery codes, shown once on the page that completes enrolment. The old session
    /// has just ended, so this page's frame offers no sign-out form bound to it.
    static func enrolled(recoveryCodes: [String], in context: TenantRequestContext) -> MessagePage {
        MessagePage(
            title: "Two-factor authentication is set up",
            lead: [
                "Keep these recovery codes somewhere safe, away from your phone. Each works once, in place of a code from the app, if you lose your phone.",
                "They are shown only now.",
            ], secrets: recoveryCodes, next: Layout.Link(label: "Continue", href: context.basePath + "/", current: false),
            layout: Layout(authorityName: context.tenant.displayName, homeHref: context.basePath + "/", requestID: context.id))
    }

    /// After the set-up link: on to sign in (and two-factor set-up where policy asks for it).
    static func passwordSet(in context: TenantRequestContext) -> MessagePage {
        MessagePage(
            title: "Your password is set",
            lead: [
                "Sign in with your email address and new password. You will then set up two-factor authentication if your council requires it."
            ],
            next: Layout.Link(label: "Sign in", href: context.basePath + "/sign-in", current: false), layout: .council(context))
    }
}
