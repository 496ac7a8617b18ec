import Foundation
import KerbCore
import Policy
import Testing

@Suite struct PolicyTests {
    @Test(arguments: [(Nation.england, 1000), (.scotland, 2000), (.wales, 0), (.northernIreland, 1000)])
    func eachNationHasItsFeeCapAndTheThreeYearLimit(nation: Nation, cap: Int) throws {
        let rails = try PolicyFile.bundledGuardrails(nation)
        #expect(rails.nation == nation)
        #expect(rails.badge.maxFeePence == cap)
        #expect(rails.badge.maxValidityMonths == 36)
        #expect(rails.decisions.refusalRequiresReasons && rails.decisions.reviewOfferedUnlessAutomaticRoute)
        #expect(rails.security.individualAccountsOnly && rails.security.mfaAvailable)
    }

    @Test func theDefaultFitsEveryNationOnceWalesFeeIsLowered() throws {
        let base = try PolicyFile.bundledDefault()
        #expect(base.security.passwordMaxAgeDays == 90 && base.casework.processingTargetDays == 28)
        #expect(base.casework.reviewResponseWorkingDays == 5)
        for nation in [Nation.england, .scotland, .northernIreland] {
            #expect(PolicyCheck.violations(base, within: try PolicyFile.bundledGuardrails(nation)).isEmpty)
            #expect(try LocalPolicy.initial(for: nation).document == base)
        }
        let wales = try PolicyFile.bundledGuardrails(.wales)
        #expect(PolicyCheck.violations(base, within: wales).map(\.field) == ["badge.fee_pence"])
        let initial = try LocalPolicy.initial(for: .wales)
        #expect(initial.document.badge.feePence == 0)
        #expect(initial.reason.contains("Wales maximum of £0"))
    }

    @Test func aBreachingPolicyIsRefusedWithEveryViolationListed() throws {
        var policy = try PolicyFile.bundledDefault()
        policy.badge.feePence = 2001
        policy.badge.validityMonths = 48
        policy.security.passwordMinLength = 8
        policy.security.lockoutThreshold = 0
        policy.security.sessionIdleMinutes = 600
        policy.casework.escalateDaysBeforeTarget = 40
        let scotland = try PolicyFile.bundledGuardrails(.scotland)
        #expect(throws: PolicyError.self) { try PolicyCheck.validate(policy, within: scotland) }
        let fields = PolicyCheck.violations(policy, within: scotland).map(\.field)
        #expect(
            Set(fields) == [
                "badge.fee_pence", "badge.validity_months", "security.password_min_length", "security.lockout_threshold",
                "security.session_idle_minutes", "casework.escalate_days_before_target",
            ])
        #expect(PolicyCheck.violations(policy, within: scotland).first { $0.field == "badge.fee_pence" }?.message.contains("£20") == true)
        policy.badge.feePence = 2000
        #expect(!PolicyCheck.violations(policy, within: scotland).map(\.field).contains("badge.fee_pence"))
    }

    @Test func unknownMissingAndMistypedSettingsAreRefused() throws {
        let valid = PolicyFile.json(try PolicyFile.bundledDefault())
        #expect(try PolicyFile.parseLocal(json: valid) == (try PolicyFile.bundledDefault()))

        let typo = valid.replacingOccurrences(of: "\"fee_pence\"", with: "\"fee_pense\"")
        #expect(throws: PolicyError.self) { try PolicyFile.parseLocal(json: typo) }
        do {
            _ = try PolicyFile.parseLocal(yaml: "security: {}\n")
            Issue.record("a document without settings was accepted")
        } catch {
            #expect(error.issues.first?.message.contains("is missing") == true)
        }
        do {
            _ = try PolicyFile.parseLocal(json: valid.replacingOccurrences(of: "\"photo\":true", with: "\"photo\":\"maybe\""))
            Issue.record("a mistyped setting was accepted")
        } catch {
            #expect(error.issues.map(\.field) == ["evidence.photo"])
        }
        do {
            _ = try PolicyFile.parseLocal(json: valid.replacingOccurrences(of: "\"photo\":true", with: "\"photo\":true,\"extra\":1"))
            Issue.record("an unknown setting was accepted")
        } catch {
            #expect(error.issues.map(\.field) == ["evidence.extra"])
        }
        #expect(throws: PolicyError.self) { try PolicyFile.parseLocal(yaml: "a: [") }
    }
}

/// Issue 9, item 14: switching off two-factor authentication, or second-administrator approval
/// of access changes, needs a second administrator; the statutory baseline may forbid the first.
@Suite struct WeakeningPolicyTests {
    @Test func theStatutoryBaselineCanForbidSwitchingTwoFactorOff() throws {
        var rails = try PolicyFile.bundledGuardrails(.england)
        var policy = try PolicyFile.bundledDefault()
        policy.security.mfaRequired = false
        #expect(PolicyCheck.violations(policy, within: rails).isEmpty)
        rails.security.mfaMandatory = true
        #expect(PolicyCheck.violations(policy, within: rails).map(\.field) == ["security.mfa_required"])
    }
}
