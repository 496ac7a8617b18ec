import Foundation
import Hummingbird
import Identity
import KerbCore
import Policy

/// The local policy as form fields, and back. Field names are the policy file's own paths
/// (`security.password_max_age_days`), so `PolicyCheck`'s issues land next to their inputs.
enum PolicyForm {
    enum Value {
        case number(WritableKeyPath<LocalPolicyDocument, Int>)
        case flag(WritableKeyPath<LocalPolicyDocument, Bool>)
        case pounds(WritableKeyPath<LocalPolicyDocument, Int>)
        case delivery
    }

    struct Entry {
        let name: String
        let label: String
        let hint: String?
        let value: Value
        var note: String? = nil
    }

    static func entries(_ guardrails: StatutoryGuardrails) -> [Entry] {
        let rails = guardrails.security
        return [
            Entry(
                name: "security.password_min_length", label: "Minimum password length",
                hint: "At least \(rails.passwordMinLengthMin) characters",
                value: .number(\.security.passwordMinLength)),
            Entry(
                name: "security.password_max_age_days", label: "Force a password change every (days)", hint: "0 means never",
                value: .number(\.security.passwordMaxAgeDays),
                note:
                    "The NCSC and OWASP ASVS (V2.1.10) advise against forced password expiry: it leads people to choose weaker, predictable passwords. Kerb already refuses common passwords and can require two-factor authentication. The choice is your council's."
            ),
            Entry(
                name: "security.password_history", label: "Passwords remembered (cannot be reused)", hint: "0 to 24",
                value: .number(\.security.passwordHistory)),
            Entry(
                name: "security.mfa_required", label: "Require two-factor authentication", hint: nil, value: .flag(\.security.mfaRequired)),
            Entry(
                name: "security.lockout_threshold", label: "Lock an account after this many failed sign-ins",
                hint: "At most \(rails.lockoutThresholdMax)", value: .number(\.security.lockoutThreshold)),
            Entry(name: "security.lockout_minutes", label: "Lockout lasts (minutes)", hint: nil, value: .number(\.security.lockoutMinutes)),
            Entry(
                name: "security.session_idle_minutes", label: "Sign out after this many idle minutes",
                hint: "At most \(rails.sessionIdleMinutesMax)",
                value: .number(\.security.sessionIdleMinutes)),
            Entry(
                name: "security.session_absolute_hours", label: "Sign out after this many hours in any case", hint: "1 to 24",
                value: .number(\.security.sessionAbsoluteHours)),
            Entry(
                name: "security.access_changes_need_second_admin", label: "Access group changes need a second administrator's approval",
                hint: nil, value: .flag(\.security.accessChangesNeedSecondAdmin)),
            Entry(
                name: "casework.processing_target_days", label: "Processing target (days from receipt to decision)", hint: nil,
                value: .number(\.casework.processingTargetDays)),
            Entry(
                name: "casework.pause_clock_awaiting_applicant", label: "Pause the clock while waiting for the applicant", hint: nil,
                value: .flag(\.casework.pauseClockAwaitingApplicant)),
            Entry(
                name: "casework.review_response_working_days", label: "Answer reviews within (working days)", hint: nil,
                value: .number(\.casework.reviewResponseWorkingDays)),
            Entry(
                name: "casework.maker_checker_on_refusals", label: "Refusals need a second officer's check", hint: nil,
                value: .flag(\.casework.makerCheckerOnRefusals)),
            Entry(
                name: "casework.escalate_days_before_target", label: "Escalate this many days before the target", hint: nil,
                value: .number(\.casework.escalateDaysBeforeTarget)),
            Entry(
                name: "badge.fee_pence", label: "Badge fee (£)",
                hint: "At most \(pounds(guardrails.badge.maxFeePence)) in \(guardrails.nation.rawValue)", value: .pounds(\.badge.feePence)),
            Entry(
                name: "badge.validity_months", label: "Badges are valid for (months)",
                hint: "At most \(guardrails.badge.maxValidityMonths)",
                value: .number(\.badge.validityMonths)),
            Entry(
                name: "badge.renewal_invitation_days", label: "Invite renewal this many days before expiry", hint: nil,
                value: .number(\.badge.renewalInvitationDays)),
            Entry(name: "badge.delivery", label: "Badges are delivered to", hint: nil, value: .delivery),
            Entry(
                name: "evidence.proof_of_identity", label: "Ask for proof of identity", hint: nil, value: .flag(\.evidence.proofOfIdentity)),
            Entry(name: "evidence.proof_of_address", label: "Ask for proof of address", hint: nil, value: .flag(\.evidence.proofOfAddress)),
            Entry(name: "evidence.photo", label: "Ask for a photo", hint: nil, value: .flag(\.evidence.photo)),
            Entry(
                name: "documents.max_megabytes", label: "Largest upload (MB)",
                hint: "At most \(LocalPolicyDocument.Documents.serviceMaxMegabytes)", value: .number(\.documents.maxMegabytes)),
            Entry(name: "documents.allow_pdf", label: "Accept PDF documents", hint: nil, value: .flag(\.documents.allowPdf)),
            Entry(name: "documents.allow_jpeg", label: "Accept JPEG photographs", hint: nil, value: .flag(\.documents.allowJpeg)),
            Entry(name: "documents.allow_png", label: "Accept PNG images", hint: nil, value: .flag(\.documents.allowPng)),
            Entry(name: "documents.allow_heic", label: "Accept HEIC photographs (iPhone)", hint: nil, value: .flag(\.documents.allowHeic)),
            Entry(
                name: "retention.document_months", label: "Keep documents of decided cases for (months)",
                hint: "After the decision; none while a review is open", value: .number(\.retention.documentMonths)),
            Entry(
                name: "retention.refused_application_months", label: "Keep refused and withdrawn applications for (months)",
                hint: "Then anonymised; none while a review is open", value: .number(\.retention.refusedApplicationMonths)),
            Entry(
                name: "retention.expired_badge_months", label: "Keep expired badges' holder details for (months)",
                hint: "After expiry; the badge number and dates stay", value: .number(\.retention.expiredBadgeMonths)),
            Entry(
                name: "retention.enforcement_months", label: "Keep closed enforcement cases for (months)",
                hint: "After closing; at least 12", value: .number(\.retention.enforcementMonths)),
            Entry(
                name: "monitoring.views_per_hour_limit", label: "Flag anyone opening more records than this in an hour",
                hint: nil, value: .number(\.monitoring.viewsPerHourLimit)),
            Entry(
                name: "monitoring.usual_multiple", label: "Flag anyone opening this many times their usual in an hour",
                hint: "Their average over the last 28 days", value: .number(\.monitoring.usualMultiple)),
            Entry(
                name: "monitoring.minimum_views", label: "…once they open at least (records)", hint: nil,
                value: .number(\.monitoring.minimumViews)),
            Entry(
                name: "monitoring.workday_start_hour", label: "Working day starts (hour, UK time)",
                hint: "Exports of personal data outside working hours are flagged", value: .number(\.monitoring.workdayStartHour)),
            Entry(
                name: "monitoring.workday_end_hour", label: "Working day ends (hour, UK time)", hint: nil,
                value: .number(\.monitoring.workdayEndHour)),
        ]
    }

    static func fields(_ document: LocalPolicyDocument, guardrails: StatutoryGuardrails) -> [FormField] {
        entries(guardrails).map { entry in
            switch entry.value {
            case .number(let path):
                FormField(
                    name: entry.name, label: entry.label, hint: entry.hint, value: "\(document[keyPath: path])", kind: .number,
                    note: entry.note)
            case .pounds(let path):
                FormField(
                    name: entry.name, label: entry.label, hint: entry.hint, value: poundsField(document[keyPath: path]), kind: .number)
            case .flag(let path):
                FormField(name: entry.name, label: entry.label, hint: entry.hint, kind: .checkbox, checked: document[keyPath: path])
            case .delivery:
                FormField(
                    name: entry.name, label: entry.label, kind: .select,
                    options: [
                        .init(value: "home", label: "The applicant's home", selected: document.badge.delivery == .home),
                        .init(value: "council", label: "The council, for collection", selected: document.badge.delivery == .council),
                    ])
            }
        }
    }

    /// Copies the submitted values into `document`; returns the fields that are not numbers.
    /// Range and guardrail checks are `PolicyCheck`'s job, afterwards.
    static func apply(_ form: PolicyChangeForm, to document: inout LocalPolicyDocument, guardrails: StatutoryGuardrails) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        for entry in entries(guardrails) {
            let text = form.settings[entry.name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            switch entry.value {
            case .number(let path):
                if let value = Int(text) {
                    document[keyPath: path] = value
                } else {
                    issues.append(FieldIssue(field: entry.name, message: "\(entry.label) must be a whole number"))
                }
            case .pounds(let path):
                if let pence = pence(text) {
                    document[keyPath: path] = pence
                } else {
                    issues.append(FieldIssue(field: entry.name, message: "Enter the fee in pounds, like 10 or 10.00"))
                }
            case .flag(let path):
                document[keyPath: path] = !text.isEmpty
            case .delivery:
                document.badge.delivery = LocalPolicyDocument.Badge.Delivery(rawValue: text) ?? document.badge.delivery
            }
        }
        return issues
    }

    static func pence(_ text: String) -> Int? {
        let cleaned = text.replacingOccurrences(of: "£", with: "").trimmingCharacters(in: .whitespaces)
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0, whole < 10_000 else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        guard parts[1].count == 2, let fraction = Int(parts[1]), fraction >= 0 else { return nil }
        return whole * 100 + fraction
    }

    static func poundsField(_ pence: Int) -> String { String(format: "%d.%02d", pence / 100, pence % 100) }
    static func pounds(_ pence: Int) -> String { "£" + poundsField(pence) }
}
