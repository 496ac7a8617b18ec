import Foundation

/// Onboarding one council with the full tenant schema (target: under 250 ms).
struct OnboardingBench {
    let fleet: Fleet
    let count: Int

    func run(_ report: Report) async throws {
        report.line("\nOnboarding (role + schema + every tenant migration + policy + first admin, one transaction)")
        var times: [Double] = []
        let base = try await fleet.count()
        for i in 0..<count {
            times.append(try await fleet.onboard(String(format: "bench-%05d", base + i)).milliseconds)
        }
        report.line(
            String(
                format: "  %d onboardings: median %.1f ms, p95 %.1f ms, max %.1f ms   (target < 250 ms)",
                count, Stats.median(times), Stats.percentile(times, 0.95), times.max() ?? 0))
    }
}
