import Audit
import Casework
import Foundation
import HummingbirdTesting
import Identity
import KerbCore
import Logging
import Policy
import Storage
import Tenancy
import Web

/// Someone at a test council, invited through Identity's services, with the one-time set-up
/// token of the invitation.
public struct TestPerson: Sendable {
    public let id: UUID
    public let name: String
    public let email: String
    public let setupToken: String
}

/// A small world for tests through the application: a freshly onboarded council with its
/// administrator (Alex Morgan), people in access groups and teams, applications in its queue,
/// and browsers signed in as any of them.
///
/// Built through the same services the pages use (onboarding, invitations, casework), so what a
/// test meets is what a council would have; only signing in skips the pages (`signIn(as:)`).
/// Tests about signing in use the pages instead.
public struct TestCouncil: Sendable {
    /// Every test person's password.
    public static let password = "lamp-orbit-velvet-42"

    public let onboarded: TenantLifecycle.Onboarded
    public let client: any TestClientProtocol
    public let deps: WebDependencies
    /// The onboarded administrator, Alex Morgan, in Administrators.
    public let admin: TestPerson

    public var tenant: Tenant { onboarded.tenant }
    public var scope: TenantScope { tenant.scope }
    /// The council's email domain for its test people.
    public var domain: String { "\(tenant.authoritySlug.dropFirst(5)).test.kerb.example" }

    /// Onboards a new council (as `kerb tenant onboard` does) for a test inside `withApp`.
    public static func onboard(
        _ client: any TestClientProtocol, _ deps: WebDependencies, nation: Nation = .england, band: Band = .b
    ) async throws -> TestCouncil {
        try await existing(try await TestDatabase.onboardTestTenant(nation: nation, band: band), client, deps)
    }

    /// The same world around a council the test onboarded itself (`TestDatabase.onboardTestTenant`).
    public static func existing(
        _ onboarded: TenantLifecycle.Onboarded, _ client: any TestClientProtocol, _ deps: WebDependencies
    ) async throws -> TestCouncil {
        let people = try await deps.identity.users.list(onboarded.tenant.scope, logger: TestApp.logger)
        guard let admin = people.first(where: { $0.fullName == "Alex Morgan" }) else {
            throw TestSupportError("the onboarded council has no administrator")
        }
        return TestCouncil(
            onboarded: onboarded, client: client, deps: deps,
            admin: TestPerson(id: admin.id, name: admin.fullName, email: admin.email, setupToken: onboarded.adminSetupToken))
    }

    /// Invites a person into `groups` (active at once, no second approval) and `teams`, by the
    /// administrator. Their email is their name, dotted, at the council's domain.
    public func person(_ name: String, groups: [String] = [], teams: [String] = []) async throws -> TestPerson {
        let email = name.lowercased().replacingOccurrences(of: " ", with: ".") + "@" + domain
        let known = try await deps.identity.groups.groups(scope, logger: TestApp.logger)
        let ids = try groups.map { group in
            guard let id = known.first(where: { $0.name == group })?.id else { throw TestSupportError("no access group \(group)") }
            return id
        }
        let (id, token) = try await deps.identity.users.invite(
            scope, fullName: name, email: email, groupIDs: ids, needsApproval: false, by: adminEvent, now: Date(),
            link: { "https://kerb.example/setup?token=\($0.token)" }, logger: TestApp.logger)
        for team in teams {
            try await deps.identity.groups.addTeam(scope, userID: id, team: team, logger: TestApp.logger)
        }
        return TestPerson(id: id, name: name, email: email, setupToken: token.token)
    }

    /// A browser signed in as `person`, without the sign-in pages' requests: the password is set
    /// with the invitation's set-up token (the first time), an authenticator is enrolled, and a
    /// complete session is started with `SessionService`, as the pages would after a right code.
    /// The browser holds the session cookie and the CSRF token its forms carry.
    public func signIn(as person: TestPerson, now: Date = Date()) async throws -> Browser {
        let identity = deps.identity
        let account = try await identity.users.account(scope, id: person.id, logger: TestApp.logger)
        if account.status == "invited" {
            _ = try await identity.accounts.completeSetup(
                scope, token: person.setupToken, password: Self.password, now: now, logger: TestApp.logger)
        }
        if !account.hasTOTP {
            try await identity.accounts.enrolTOTP(scope, userID: person.id, secret: TOTP.newSecret(), now: now, logger: TestApp.logger)
        }
        let token = try await identity.sessions.start(
            scope, userID: person.id, stage: .complete, userAgent: Browser.userAgent, now: now, logger: TestApp.logger)
        let browser = Browser(client, tenant: tenant)
        await browser.adopt(session: token)
        return browser
    }

    /// A received paper application for a new person, opened by `officer` (the administrator
    /// unless named) in `team` (the council's default unless named). Returns its reference.
    public func application(
        for applicant: String = "Margaret Oyelaran", eligibility: Eligibility = .walking, team: String? = nil, by officer: TestPerson? = nil
    ) async throws -> String {
        let officer = Officer(id: (officer ?? admin).id, name: (officer ?? admin).name)
        return try await deps.cases.takeIn(
            scope,
            PersonDetails(
                fullName: applicant, dateOfBirth: Date(timeIntervalSince1970: -276_000_000), addressLine1: "1 Example Street",
                town: "London", postcode: "SW1A 1AA"),
            confirmedNew: true, .init(personID: UUID(), kind: .new, channel: .paper, eligibility: eligibility, team: team),
            as: .caseworker(officer), logger: TestApp.logger)
    }

    /// The administrator as the actor of an audited change.
    public var adminEvent: AuditEvent { AuditEvent(actorID: admin.id, actor: admin.name, action: "") }
}

/// A fixture that could not be built.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A council with its administrator and a colleague, Priya Shah, in `otherGroups` (active at
/// once), both signed in with `TestCouncil.signIn(as:)`: where most page tests start.
public struct SignedInCouncil: Sendable {
    public let world: TestCouncil
    /// The administrator's browser.
    public let admin: Browser
    /// Priya's browser.
    public let other: Browser
    public let otherID: UUID

    public var tenant: Tenant { world.tenant }
    public var adminID: UUID { world.admin.id }

    public static func onboard(
        _ client: any TestClientProtocol, _ deps: WebDependencies, otherGroups: [String]
    ) async throws -> SignedInCouncil {
        let world = try await TestCouncil.onboard(client, deps)
        let priya = try await world.person("Priya Shah", groups: otherGroups)
        return SignedInCouncil(
            world: world, admin: try await world.signIn(as: world.admin), other: try await world.signIn(as: priya), otherID: priya.id)
    }
}
