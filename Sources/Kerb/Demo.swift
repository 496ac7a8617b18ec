import ArgumentParser
import Foundation
import Identity
import KerbCore
import Storage
import Tenancy

/// `kerb demo seed`: onboards a few councils of different bands and nations so a newcomer has
/// something to open. Idempotent: a second run keeps the data and issues fresh set-up links.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Demo data for local runs.", subcommands: [Seed.self])

    /// Councils chosen to cover every nation and the range of bands.
    static let councils: [(authority: String, admin: String)] = [
        ("westminster", "Priya Shah"),  // A, England
        ("cardiff", "Rhys Evans"),  // D, Wales
        ("glasgow", "Morag Campbell"),  // E, Scotland
        ("devon", "Sam Taylor"),  // F, England
        ("northern-ireland", "Ciara Byrne"),  // F, Northern Ireland
    ]

    struct Seed: AsyncParsableCommand {
        @Option(help: "HTTP port the printed links use.") var port = Int(ProcessInfo.processInfo.environment["KERB_PORT"] ?? "") ?? 8080
        @Option(help: "Base domain the printed links use.") var baseDomain =
            ProcessInfo.processInfo.environment["KERB_BASE_DOMAIN"] ?? "kerb.localhost"

        func run() async throws {
            try await reportingErrors {
                try await Runtime.with { runtime in
                    let lifecycle = try runtime.lifecycle()
                    let existing = Set(try await lifecycle.list().map(\.authoritySlug))
                    var lines: [String] = []
                    for (authority, admin) in Demo.councils {
                        let email = admin.lowercased().replacingOccurrences(of: " ", with: ".") + "@\(authority).demo.kerb.example"
                        let slug: String
                        let token: String?
                        if existing.contains(authority) {
                            slug = authority
                            token = try await runtime.admin.transaction { session in
                                try session.enterTenant(TenantScope(Slug(authority)!))
                                return try AccountProvisioning.reissueSetupToken(session, email: email)?.token
                            }
                        } else {
                            let onboarded = try await lifecycle.onboard(
                                .init(authority: authority, adminName: admin, adminEmail: email, actor: "demo-seed"))
                            slug = onboarded.tenant.slug.rawValue
                            token = onboarded.adminSetupToken
                        }
                        lines.append("  http://\(slug).\(baseDomain):\(port)/   or   http://localhost:\(port)/t/\(slug)/")
                        lines.append(
                            "      first admin \(admin) <\(email)>" + (token.map { ", set-up token \($0)" } ?? " (already set up)"))
                    }
                    print("Demo councils (each has its own schema and role):")
                    lines.forEach { print($0) }
                    print("Signing in arrives with the identity work; the set-up token is what the council's first admin will use.")
                    print("Health: http://localhost:\(port)/healthz   Metrics: http://localhost:\(port)/metrics")
                }
            }
        }
    }
}
