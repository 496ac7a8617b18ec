import ArgumentParser
import Casework
import Communications
import Foundation
import Identity
import KerbCore
import Logging
import Policy
import PostgresNIO
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

    /// Staff of every demo council, in different access groups (one in two, one in none), so a
    /// newcomer can see deny-by-default and the union of groups from both sides.
    static let staff: [(name: String, groups: [String])] = [
        ("Jordan Lee", ["Case officers"]),
        ("Amira Hassan", ["Decision makers"]),
        ("Nia Roberts", ["Case officers", "Enforcement officers"]),
        ("Tom Price", ["Managers", "Auditors"]),
        ("Owen Clarke", []),
    ]

    static func email(_ name: String, _ authority: String) -> String {
        name.lowercased().replacingOccurrences(of: " ", with: ".") + "@\(authority).demo.kerb.example"
    }

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
                    for (index, (authority, admin)) in Demo.councils.enumerated() {
                        if !existing.contains(authority) {
                            _ = try await lifecycle.onboard(
                                .init(authority: authority, adminName: admin, adminEmail: Demo.email(admin, authority), actor: "demo-seed"))
                        }
                        // Everyone still to set up gets a fresh link on every run (only hashes are kept).
                        let links = try await runtime.admin.transaction { session in
                            try session.enterTenant(TenantScope(Slug(authority)!))
                            var links: [(String, String, String?)] = []
                            let adminToken = try AccountProvisioning.reissueSetupToken(session, email: Demo.email(admin, authority))
                            links.append((admin, "Administrators", adminToken?.token))
                            for (name, groups) in Demo.staff {
                                let email = Demo.email(name, authority)
                                let known = try !session.query("SELECT 1 FROM users WHERE lower(email) = lower($1)", [email]).isEmpty
                                let token =
                                    known
                                    ? try AccountProvisioning.reissueSetupToken(session, email: email)
                                    : try AccountProvisioning.createInvited(session, fullName: name, email: email, groups: groups)
                                links.append((name, groups.isEmpty ? "no groups" : groups.joined(separator: " + "), token?.token))
                            }
                            return links
                        }
                        let base = "http://localhost:\(port)/t/\(authority)"
                        lines.append("  \(base)/   or   http://\(authority).\(baseDomain):\(port)/")
                        // The first council lists everyone; the others their administrator only.
                        for (name, groups, token) in index == 0 ? links : Array(links.prefix(1)) {
                            let link = token.map { "\(base)/setup?token=\($0)" } ?? "(already set up)"
                            lines.append("      \(name) [\(groups)] <\(Demo.email(name, authority))>: \(link)")
                        }
                    }
                    print("Demo councils (each has its own schema and role). Open a set-up link to choose a password;")
                    print(
                        "2FA then needs an authenticator app, or: oathtool --totp -b '<the key shown on the page>' (apt install oathtool)")
                    try await Demo.seedCases(runtime, council: Demo.councils[0].authority, officer: Demo.councils[0].admin)
                    lines.forEach { print($0) }
                    print("Supplier operations (the council list), Dana Whitfield <dana.whitfield@ops.kerb.example>:")
                    do {
                        let ops = try await SupplierOps.invite(
                            runtime.admin, fullName: "Dana Whitfield", email: "dana.whitfield@ops.kerb.example")
                        print("      http://localhost:\(port)/ops/setup?token=\(ops)")
                    } catch TenancyError.invalidAdmin {
                        print("      (already set up) http://localhost:\(port)/ops/")
                    }
                    print("Health: http://localhost:\(port)/healthz   Metrics: http://localhost:\(port)/metrics")
                }
            }
        }
    }

    /// A few open applications in the first council, so its queues have something in them.
    /// Only when it has none: a second run leaves the officers' work alone.
    static func seedCases(_ runtime: Runtime, council: String, officer name: String) async throws {
        let scope = TenantScope(Slug(council)!)
        let officerID: String? = try await runtime.admin.transaction { session in
            try session.enterTenant(scope)
            guard try session.query("SELECT 1 FROM applications LIMIT 1").isEmpty else { return nil }
            return try session.query("SELECT id::text FROM users WHERE full_name = $1", [name]).first?[0] ?? nil
        }
        guard let officerID, let id = UUID(uuidString: officerID) else { return }
        try runtime.config.require(.app)
        var logger = Logger(label: "demo")
        logger.logLevel = .warning
        let client = PostgresClient(runtime.config, login: .app, maxConnections: 1, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let cases = CaseService(database: TenantDatabase(client: client), outbox: try Outbox.bundled())
            // The demo officer takes the applications in, as they would at the counter.
            let officer = Actor(
                officer: Officer(id: id, name: name),
                principal: Principal(userID: id, groups: [AccessGroup(name: "Demo intake", permissions: [.viewCase, .editCase])]),
                requestID: "demo-seed")
            let applicants: [(String, String, String, Eligibility?, Casework.Channel)] = [
                ("Margaret Oyelaran", "1954-03-27", "SW1P 3JX", .walking, .paper),
                ("David Whitcombe", "1979-11-02", "W2 1JU", .pip, .online),
                ("Aisha Rahman", "2024-06-15", "NW8 8QN", .childBulk, .inPerson),
                ("Terence Blake", "1948-01-09", "SW1V 2SA", nil, .phone),
            ]
            for (index, (fullName, born, postcode, eligibility, channel)) in applicants.enumerated() {
                let details = PersonDetails(
                    fullName: fullName, dateOfBirth: ISO8601DateFormatter().date(from: born + "T12:00:00Z"),
                    addressLine1: "\(10 + index) Example Street", town: "London", postcode: postcode)
                _ = try await cases.takeIn(
                    scope, details, confirmedNew: true,
                    .init(personID: UUID(), kind: .new, channel: channel, eligibility: eligibility, draft: eligibility == nil), as: officer,
                    logger: logger)
            }
        }
    }
}
