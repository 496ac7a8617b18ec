import Identity
import KerbCore
import Policy

/// The local policy page (`admin-policy`): the rules as a form beside the nation's guardrails,
/// changes waiting for a second administrator, and the version history with rollback.
struct PolicyPage: Sendable {
    struct Version: Sendable {
        let version: Int
        let reason: String
        let by: String
        let at: String
        let current: Bool
    }

    struct Proposal: Sendable {
        let weakens: String
        let reason: String
        let by: String
        let at: String
        let approveAction: String
        /// The viewer proposed it, so someone else must approve.
        let ownProposal: Bool
    }

    let nation: String
    let form: FormModel
    let versions: [Version]
    let proposals: [Proposal]
    let hasProposals: Bool
    let saved: String?
    let rollbackAction: String
    let csrf: String
    let layout: Layout

    init(
        nation: Nation, document: LocalPolicyDocument, guardrails: StatutoryGuardrails, reason: String, issues: [FieldIssue],
        versions: [PolicyVersion], proposals: [LocalPolicyStore.Proposal], saved: String?, viewer: SignedInUser,
        in context: some CouncilRequestContext
    ) {
        let fields =
            PolicyForm.fields(document, guardrails: guardrails) + [
                FormField(
                    name: "reason", label: "Reason for the change", hint: "Recorded with the new version, for your auditors", value: reason)
            ]
        self.nation = nation.rawValue
        form = FormModel(action: context.basePath + "/admin/policy", csrf: context.csrfToken, fields: fields, submit: "Save policy")
            .with(errors: issues)
        self.versions = versions.map {
            Version(
                version: $0.version, reason: $0.reason, by: $0.createdBy, at: Formats.dateTime($0.createdAt),
                current: $0.version == versions.first?.version)
        }
        self.proposals = proposals.map {
            Proposal(
                weakens: $0.weakens.joined(separator: " and "), reason: $0.reason, by: $0.proposedByName,
                at: Formats.dateTime($0.proposedAt),
                approveAction: context.basePath + "/admin/policy/proposals/\($0.id)/approve", ownProposal: $0.proposedBy == viewer.userID)
        }
        hasProposals = !proposals.isEmpty
        self.saved = saved
        rollbackAction = context.basePath + "/admin/policy/rollback"
        csrf = context.csrfToken
        layout = .council(context, current: "/admin/policy")
    }
}
