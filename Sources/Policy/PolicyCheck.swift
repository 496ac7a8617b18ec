import Foundation
import KerbCore

/// Checks a local policy against its nation's statutory guardrails and against the ranges a
/// working service needs. The same check backs the admin pages, `kerb policy check` and
/// onboarding, and it lists every violation rather than stopping at the first.
public enum PolicyCheck {
    public static func violations(_ policy: LocalPolicyDocument, within guardrails: StatutoryGuardrails) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        func require(_ ok: Bool, _ field: String, _ message: String) {
            if !ok { issues.append(FieldIssue(field: field, message: message)) }
        }
        let nation = guardrails.nation.rawValue
        let s = policy.security
        let rails = guardrails.security
        require(
            s.passwordMinLength >= rails.passwordMinLengthMin && s.passwordMinLength <= 128, "security.password_min_length",
            "Minimum password length must be between \(rails.passwordMinLengthMin) and 128 characters")
        require(
            (0...3650).contains(s.passwordMaxAgeDays), "security.password_max_age_days",
            "Password maximum age must be 0 (no forced change) to 3650 days")
        require((0...24).contains(s.passwordHistory), "security.password_history", "Password history must be 0 to 24 passwords")
        require(
            (1...rails.lockoutThresholdMax).contains(s.lockoutThreshold), "security.lockout_threshold",
            "Accounts must lock after 1 to \(rails.lockoutThresholdMax) failed sign-ins")
        require((1...1440).contains(s.lockoutMinutes), "security.lockout_minutes", "Lockout must last 1 to 1440 minutes")
        require(
            (1...rails.sessionIdleMinutesMax).contains(s.sessionIdleMinutes), "security.session_idle_minutes",
            "Idle sessions must end after 1 to \(rails.sessionIdleMinutesMax) minutes")
        require((1...24).contains(s.sessionAbsoluteHours), "security.session_absolute_hours", "Sessions must end after 1 to 24 hours")
        require(
            !s.mfaRequired || rails.mfaAvailable, "security.mfa_required", "Two-factor authentication is not available in \(nation)")
        require(
            s.mfaRequired || !rails.mfaMandatory, "security.mfa_required",
            "Two-factor authentication is required in \(nation): it cannot be switched off")

        let c = policy.casework
        require(
            (1...365).contains(c.processingTargetDays), "casework.processing_target_days", "The processing target must be 1 to 365 days")
        require(
            (1...60).contains(c.reviewResponseWorkingDays), "casework.review_response_working_days",
            "Reviews must be answered within 1 to 60 working days")
        require(
            c.escalateDaysBeforeTarget >= 0 && c.escalateDaysBeforeTarget < max(1, c.processingTargetDays),
            "casework.escalate_days_before_target", "Escalation must start before the processing target is reached")

        let b = policy.badge
        require(
            (0...guardrails.badge.maxFeePence).contains(b.feePence), "badge.fee_pence",
            "The badge fee must be between £0 and the \(nation) maximum of \(pounds(guardrails.badge.maxFeePence))")
        require(
            (1...guardrails.badge.maxValidityMonths).contains(b.validityMonths), "badge.validity_months",
            "A badge may be valid for at most \(guardrails.badge.maxValidityMonths) months")
        require(
            (0...180).contains(b.renewalInvitationDays), "badge.renewal_invitation_days",
            "Renewal invitations go out 0 to 180 days before expiry")

        let d = policy.documents
        let cap = LocalPolicyDocument.Documents.serviceMaxMegabytes
        require((1...cap).contains(d.maxMegabytes), "documents.max_megabytes", "Uploads may be 1 to \(cap) MB")
        require(
            d.allowPdf || d.allowJpeg || d.allowPng || d.allowHeic, "documents.allow_pdf", "Allow at least one kind of file to be uploaded")
        require(
            (1...120).contains(policy.retention.documentMonths), "retention.document_months",
            "Documents of decided cases may be kept 1 to 120 months")
        let r = policy.retention
        require(
            (1...120).contains(r.refusedApplicationMonths), "retention.refused_application_months",
            "Refused applications may be kept 1 to 120 months")
        require((1...120).contains(r.expiredBadgeMonths), "retention.expired_badge_months", "Expired badges may be kept 1 to 120 months")
        require(
            (12...120).contains(r.enforcementMonths), "retention.enforcement_months",
            "Closed enforcement cases must be kept 12 to 120 months (a prosecution may follow)")

        let m = policy.monitoring
        require(
            (10...10_000).contains(m.viewsPerHourLimit), "monitoring.views_per_hour_limit",
            "The hourly limit on records opened must be 10 to 10,000")
        require((2...50).contains(m.usualMultiple), "monitoring.usual_multiple", "The multiple of someone's usual must be 2 to 50")
        require((5...1_000).contains(m.minimumViews), "monitoring.minimum_views", "The minimum before comparing must be 5 to 1,000")
        require(
            (0...23).contains(m.workdayStartHour) && (1...24).contains(m.workdayEndHour) && m.workdayStartHour < m.workdayEndHour,
            "monitoring.workday_start_hour", "Working hours must start before they end, within the day (0 to 24)")
        return issues
    }

    /// Throws every violation at once, or returns when the policy is within the guardrails.
    public static func validate(_ policy: LocalPolicyDocument, within guardrails: StatutoryGuardrails) throws(PolicyError) {
        let issues = violations(policy, within: guardrails)
        guard issues.isEmpty else { throw PolicyError.violations(issues) }
    }

    static func pounds(_ pence: Int) -> String {
        pence % 100 == 0 ? "£\(pence / 100)" : "£\(pence / 100).\(String(format: "%02d", pence % 100))"
    }
}
