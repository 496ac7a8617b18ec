import Audit
import Casework
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import KerbTestSupport
import Logging
import Policy
import Tenancy
import Testing
import Web

/// The authority admin pages: deny by default on every protected route (with each refusal in
/// the audit trail), invitations, second-admin approval, and local policy inside guardrails.
@Suite struct AdminPageTests {
    static let logger = Logger(label: "test")

    /// Every protected route of a council, by method. A new protected route belongs here.
    static let protectedRoutes: [(HTTPRequest.Method, String)] = [
        (.get, "/admin/users"), (.get, "/admin/users/new"), (.post, "/admin/users/new"),
        (.get, "/admin/users/{user}"), (.post, "/admin/users/{user}/unlock"), (.post, "/admin/users/{user}/disable"),
        (.post, "/admin/users/{user}/sign-out-everywhere"), (.post, "/admin/users/{user}/groups"),
        (.post, "/admin/users/{user}/teams"), (.post, "/admin/users/{user}/teams/remove"),
        (.get, "/admin/groups"), (.post, "/admin/groups"),
        (.get, "/admin/api-keys"), (.post, "/admin/api-keys"), (.post, "/admin/api-keys/{membership}/revoke"),
        (.post, "/admin/memberships/{membership}/approve"), (.post, "/admin/memberships/{membership}/reject"),
        (.post, "/admin/memberships/{membership}/revoke"),
        (.get, "/admin/policy"), (.post, "/admin/policy"), (.post, "/admin/policy/rollback"),
        (.get, "/admin/audit"),
        (.get, "/cases"), (.get, "/cases/new"), (.post, "/cases/new"), (.get, "/cases/BB-2026-000001"),
        (.post, "/cases/BB-2026-000001/assign-to-me"), (.post, "/cases/BB-2026-000001/assess"),
        (.post, "/cases/BB-2026-000001/decide"), (.post, "/cases/BB-2026-000001/notes"),
        (.post, "/cases/BB-2026-000001/review"), (.post, "/cases/BB-2026-000001/review/decide"),
        (.get, "/cases/BB-2026-000001/letters/00000000-0000-0000-0000-000000000001"),
        (.post, "/cases/BB-2026-000001/evidence/request"), (.post, "/cases/BB-2026-000001/evidence/received"),
        (.get, "/mi"), (.get, "/mi/summary.csv"), (.get, "/admin/templates"), (.get, "/admin/templates/refusal/letter"),
        (.post, "/admin/templates/refusal/letter"),
        (.post, "/cases/BB-2026-000001/badge"), (.post, "/cases/BB-2026-000001/payment"), (.post, "/cases/BB-2026-000001/payment/check"),
        (.post, "/cases/BB-2026-000001/assign"), (.post, "/cases/BB-2026-000001/representatives"),
        (.post, "/cases/import"),
        (.get, "/badges"), (.post, "/badges/renewals/invite"), (.get, "/badges/KKJKKJ"), (.post, "/badges/KKJKKJ/issued"),
        (.post, "/badges/KKJKKJ/cancel"),
        (.get, "/enforcement"), (.get, "/enforcement/new"), (.post, "/enforcement/new"), (.get, "/enforcement/EN-2026-000001"),
        (.post, "/enforcement/EN-2026-000001/investigate"), (.post, "/enforcement/EN-2026-000001/evidence"),
        (.post, "/enforcement/EN-2026-000001/close"),
    ]

    @Test func aUserWithoutPermissionsIsRefusedOnEveryProtectedRouteAndEachRefusalIsAudited() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            // A real membership id, so a refusal cannot be a 404 in disguise.
            let membership = try #require(
                try await deps.identity.groups.memberships(council.tenant.scope, userID: council.adminID, logger: Self.logger).first?.id)
            for (method, template) in Self.protectedRoutes {
                let path = template.replacingOccurrences(of: "{user}", with: council.adminID.uuidString)
                    .replacingOccurrences(of: "{membership}", with: membership.uuidString)
                let page = method == .get ? try await council.other.get(path) : try await council.other.post(path, [("version", "1")])
                #expect(page.status == .forbidden, "\(method) \(path) answered \(page.status)")
                #expect(page.html.contains("You do not have permission"))
            }
            let denials = try await AuditLog.recent(
                database: deps.identity.database, scope: council.tenant.scope, deniedOnly: true, logger: Self.logger)
            #expect(denials.count == Self.protectedRoutes.count)
            #expect(denials.allSatisfy { $0.event.actorID == council.otherID && $0.event.detail == "no access group grants this" })
            // Nothing was changed by the refused posts: the admin is still in Administrators and policy is at version 1.
            #expect(
                try await deps.identity.users.account(council.tenant.scope, id: council.adminID, logger: Self.logger).groups == [
                    "Administrators"
                ])
            #expect(try await deps.identity.policies.current(council.tenant.scope, logger: Self.logger).version == 1)
            // Their own home and account still work, and the menu offers nothing they cannot open.
            let home = try await council.other.get("/")
            #expect(home.status == .ok && !home.html.contains("/admin/"))
            #expect(try await council.other.get("/account").status == .ok)
            // The admin reads every GET page of administration.
            for (method, template) in Self.protectedRoutes where method == .get && template.hasPrefix("/admin/") {
                let path = template.replacingOccurrences(of: "{user}", with: council.otherID.uuidString)
                #expect(try await council.admin.get(path).status == .ok, "\(path)")
            }
            #expect(
                try await AuditLog.firstBrokenEntry(database: deps.identity.database, scope: council.tenant.scope, logger: Self.logger)
                    == nil)
        }
    }

    @Test func membershipChangesWaitForADifferentAdministrator() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: ["Administrators"])
            let scope = council.tenant.scope
            let officers = try #require(
                try await deps.identity.groups.groups(scope, logger: Self.logger).first { $0.name == "Case officers" })
            try await council.admin.get("/admin/users/new")
            let invited = try await council.admin.post(
                "/admin/users/new",
                [("full-name", "Sam Jones"), ("email", "sam.jones@example.gov.uk"), ("groups[]", officers.id.uuidString)])
            #expect(invited.status == .ok && invited.html.contains("/setup?token="))
            // Item 16: the link's origin is the configured public base URL, never the request's Host.
            #expect(invited.html.contains("http://localhost:8080/t/\(council.tenant.slug)/setup?token="))
            let sam = try #require(try await deps.identity.users.list(scope, logger: Self.logger).first { $0.fullName == "Sam Jones" })
            #expect(sam.groups.isEmpty && sam.pendingGroups == ["Case officers"])
            let request = try #require(try await deps.identity.groups.memberships(scope, logger: Self.logger).first { $0.userID == sam.id })
            // The admin who asked cannot approve their own request.
            try await council.admin.get("/admin/groups")
            #expect(try await council.admin.post("/admin/memberships/\(request.id)/approve").status == .forbidden)
            // A second administrator can.
            let groupsPage = try await council.other.get("/admin/groups")
            #expect(groupsPage.html.contains("Sam Jones"))
            #expect(try await council.other.post("/admin/memberships/\(request.id)/approve").status == .seeOther)
            #expect(try await deps.identity.users.account(scope, id: sam.id, logger: Self.logger).groups == ["Case officers"])
            // Teams confine "own teams only" groups; an admin puts people in them from the user's page.
            try await council.other.get("/admin/users/\(sam.id)")
            #expect(try await council.other.post("/admin/users/\(sam.id)/teams", [("team", "North")]).status == .seeOther)
            #expect(try await council.other.post("/admin/users/\(sam.id)/teams", [("team", "  ")]).status == .unprocessableContent)
            #expect(try await deps.identity.groups.principal(scope, userID: sam.id, logger: Self.logger).teams == ["North"])
            let trail = try await AuditLog.recent(database: deps.identity.database, scope: scope, logger: Self.logger).map(\.event.action)
            #expect(trail.contains("users.invite") && trail.contains("groups.approve") && trail.contains("teams.add"))
        }
    }

    @Test func aLockedAccountStaysLockedUntilAnAdministratorUnlocksIt() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            let scope = council.tenant.scope
            let email = try await deps.identity.users.account(scope, id: council.otherID, logger: Self.logger).email
            try await council.other.post("/sign-out")
            // As five wrong passwords would leave it (the growing delays are tested at the service level).
            try await deps.identity.database.transaction(scope, logger: Self.logger) { conn in
                _ = try await conn.query(
                    """
                    INSERT INTO sign_in_throttle (email_hash, failures, locked_until, updated_at)
                    VALUES (sha256(convert_to(lower(\(email)), 'UTF8')), 5, now() + interval '15 minutes', now())
                    """, logger: Self.logger)
            }
            try await council.other.get("/sign-in")
            let locked = try await council.other.post("/sign-in", [("email", email), ("password", TestCouncil.password)])
            #expect(locked.status == .forbidden && locked.html.contains("locked"))
            let users = try await council.admin.get("/admin/users")
            #expect(users.html.contains("Locked"))
            try await council.admin.get("/admin/users/\(council.otherID)")
            #expect(try await council.admin.post("/admin/users/\(council.otherID)/unlock").status == .seeOther)
            let open = try await council.other.post("/sign-in", [("email", email), ("password", TestCouncil.password)])
            #expect(open.status == .seeOther && open.location?.hasSuffix("/sign-in/code") == true)
            let trail = try await AuditLog.recent(database: deps.identity.database, scope: scope, logger: Self.logger)
            #expect(trail.contains { $0.event.action == "users.unlock" && $0.event.target == council.otherID.uuidString })
        }
    }

    /// Issue 12, item 3: a council's wording in Notify's syntax is checked, previewed with a real
    /// case, saved as a version, used for new messages, and reset; each change audited.
    @Test func aCouncilsOwnWordingIsCheckedPreviewedUsedAndCanBeReset() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            let scope = council.tenant.scope
            let list = try await council.admin.get("/admin/templates")
            #expect(list.status == .ok && list.html.contains("Acknowledgement (letter)") && list.html.contains("Kerb&#39;s default"))
            let page = try await council.admin.get("/admin/templates/acknowledgement/letter")
            #expect(page.status == .ok && page.html.contains("((targetDays))") && page.html.contains("Dear [applicant]"))
            // Sms is not a channel for refusals; an unknown kind is a 400 before anything runs.
            #expect(try await council.admin.get("/admin/templates/refusal/sms").status == .notFound)
            #expect(try await council.admin.get("/admin/templates/no-such-kind/letter").status == .badRequest)

            let unknown = try await council.admin.post(
                "/admin/templates/acknowledgement/letter", [("subject", "Hi"), ("body", "Dear ((nickname))")])
            #expect(unknown.status == .unprocessableContent && unknown.html.contains("Kerb does not fill in ((nickname))"))
            let reference = try await council.world.application(for: "Ruth Adeyemi", eligibility: .blind)
            let preview = try await council.admin.post(
                "/admin/templates/acknowledgement/letter",
                [("subject", "About ((reference))"), ("body", "Hello ((applicant))"), ("case", reference), ("preview", "yes")])
            // The administrator may not open cases: the preview says so and opens nothing.
            #expect(preview.status == .ok && preview.html.contains("you cannot open cases, so the preview cannot use \(reference)"))
            let sample = try await council.admin.post(
                "/admin/templates/acknowledgement/letter",
                [("subject", "About ((reference))"), ("body", "Hello ((applicant))"), ("preview", "yes")])
            #expect(sample.html.contains("Hello [applicant]") && sample.html.contains("About [reference]"))
            let saved = try await council.admin.post(
                "/admin/templates/acknowledgement/letter",
                [("subject", "We have your application ((reference))"), ("body", "Hello ((applicant)), we have your application.")])
            #expect(saved.status == .seeOther)
            let second = try await council.world.application(for: "Sam Okafor", eligibility: .blind)
            let file = try await deps.cases.file(scope, reference: second, as: .reader, logger: Self.logger)
            #expect(file.letters.first?.body == "Hello Sam Okafor, we have your application.")
            #expect(file.letters.first?.subject == "We have your application \(second)")
            #expect(try await council.admin.get("/admin/templates").html.contains("Your wording, version 1"))
            #expect(try await council.admin.post("/admin/templates/acknowledgement/letter", [("reset", "yes")]).status == .seeOther)
            #expect(try await council.admin.get("/admin/templates").html.contains("Your wording") == false)
            let trail = try await AuditLog.recent(database: deps.identity.database, scope: scope, logger: Self.logger).map(\.event.action)
            #expect(trail.contains("templates.change") && trail.contains("templates.reset"))
        }
    }

    @Test func genericAccountsAreRefusedAtInvitation() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            try await council.admin.get("/admin/users/new")
            let page = try await council.admin.post(
                "/admin/users/new", [("full-name", "Blue Badge Team"), ("email", "bluebadge@example.gov.uk")])
            #expect(page.status == .unprocessableContent)
            #expect(page.html.contains("not a team or role") && page.html.contains("not a shared mailbox"))
            #expect(try await deps.identity.users.list(council.tenant.scope, logger: Self.logger).count == 2)
        }
    }

    @Test func aPolicyBreachingTheGuardrailsIsRefusedWithEveryViolationAndChangesAreVersioned() async throws {
        try await withApp { client, deps in
            let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
            let scope = council.tenant.scope
            let page = try await council.admin.get("/admin/policy")
            #expect(page.html.contains("NCSC and OWASP ASVS"))
            let v1 = try await deps.identity.policies.current(scope, logger: Self.logger)
            var fields = PolicyFieldsForTest.fields(v1.document)
            fields["badge.fee_pence"] = "50.00"  // England's cap is £10
            fields["badge.validity_months"] = "48"  // the statutory maximum is 36
            fields["reason"] = "Try to break the law"
            let refused = try await council.admin.post("/admin/policy", fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("England maximum of £10") && refused.html.contains("at most 36 months"))
            #expect(try await deps.identity.policies.current(scope, logger: Self.logger).version == 1)

            fields["badge.fee_pence"] = "5.00"
            fields["badge.validity_months"] = "24"
            fields["reason"] = "Cabinet decision 12/2026"
            let saved = try await council.admin.post("/admin/policy", fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            #expect(saved.status == .seeOther && saved.location?.hasSuffix("saved=2") == true)
            let v2 = try await deps.identity.policies.current(scope, logger: Self.logger)
            #expect(v2.document.badge.feePence == 500 && v2.document.badge.validityMonths == 24 && v2.createdBy == "Alex Morgan")

            try await council.admin.get("/admin/policy")
            #expect(try await council.admin.post("/admin/policy/rollback", [("version", "1")]).status == .seeOther)
            let v3 = try await deps.identity.policies.current(scope, logger: Self.logger)
            #expect(v3.version == 3 && v3.document == v1.document && v3.reason == "Rolled back to version 1")
        }
    }
}

/// The policy form's fields for a document, as a browser would submit them unchanged.
enum PolicyFieldsForTest {
    static func fields(_ d: LocalPolicyDocument) -> [String: String] {
        var f: [String: String] = [
            "security.password_min_length": "\(d.security.passwordMinLength)",
            "security.password_max_age_days": "\(d.security.passwordMaxAgeDays)",
            "security.password_history": "\(d.security.passwordHistory)",
            "security.lockout_threshold": "\(d.security.lockoutThreshold)",
            "security.lockout_minutes": "\(d.security.lockoutMinutes)",
            "security.session_idle_minutes": "\(d.security.sessionIdleMinutes)",
            "security.session_absolute_hours": "\(d.security.sessionAbsoluteHours)",
            "casework.processing_target_days": "\(d.casework.processingTargetDays)",
            "casework.review_response_working_days": "\(d.casework.reviewResponseWorkingDays)",
            "casework.escalate_days_before_target": "\(d.casework.escalateDaysBeforeTarget)",
            "badge.fee_pence": String(format: "%d.%02d", d.badge.feePence / 100, d.badge.feePence % 100),
            "badge.validity_months": "\(d.badge.validityMonths)",
            "badge.renewal_invitation_days": "\(d.badge.renewalInvitationDays)",
            "badge.delivery": d.badge.delivery.rawValue,
            "documents.max_megabytes": "\(d.documents.maxMegabytes)",
            "retention.document_months": "\(d.retention.documentMonths)",
            "retention.refused_application_months": "\(d.retention.refusedApplicationMonths)",
            "retention.expired_badge_months": "\(d.retention.expiredBadgeMonths)",
            "retention.enforcement_months": "\(d.retention.enforcementMonths)",
            "monitoring.views_per_hour_limit": "\(d.monitoring.viewsPerHourLimit)",
            "monitoring.usual_multiple": "\(d.monitoring.usualMultiple)",
            "monitoring.minimum_views": "\(d.monitoring.minimumViews)",
            "monitoring.workday_start_hour": "\(d.monitoring.workdayStartHour)",
            "monitoring.workday_end_hour": "\(d.monitoring.workdayEndHour)",
        ]
        let flags: [(String, Bool)] = [
            ("security.mfa_required", d.security.mfaRequired),
            ("security.access_changes_need_second_admin", d.security.accessChangesNeedSecondAdmin),
            ("casework.pause_clock_awaiting_applicant", d.casework.pauseClockAwaitingApplicant),
            ("casework.maker_checker_on_refusals", d.casework.makerCheckerOnRefusals),
            ("evidence.proof_of_identity", d.evidence.proofOfIdentity), ("evidence.proof_of_address", d.evidence.proofOfAddress),
            ("evidence.photo", d.evidence.photo), ("documents.allow_pdf", d.documents.allowPdf),
            ("documents.allow_jpeg", d.documents.allowJpeg), ("documents.allow_png", d.documents.allowPng),
            ("documents.allow_heic", d.documents.allowHeic),
        ]
        for (name, on) in flags where on { f[name] = "yes" }
        return f
    }
}
