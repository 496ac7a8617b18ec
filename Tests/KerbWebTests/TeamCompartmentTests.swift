import Casework
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KerbTestSupport
import Logging
import Policy
import PostgresNIO
import Storage
import Tenancy
import Testing

@testable import Identity
@testable import Web

/// Team compartments (issue 9, item 10): a person confined to their teams never sees, finds,
/// counts or is warned about another team's case, and such a case answers exactly as one that
/// does not exist, on pages and in the JSON API. Every test also checks that someone who sees
/// every team does see the case, so an empty answer cannot pass by accident.
@Suite struct TeamCompartmentTests {
    static let logger = Logger(label: "test")
    static let born = "27/03/1961"

    /// A council with Margaret Oyelaran's case in the default team (nobody chose one) and Dennis
    /// Okafor's in North. Priya's only group is confined to her teams, and she is in North; Alex,
    /// the administrator, is also a case officer for every team.
    struct World {
        let council: SignedInCouncil
        let foreign: String
        let own: String
        let margaret: UUID
        var scope: TenantScope { council.tenant.scope }
        var priya: Browser { council.other }
        var alex: Browser { council.admin }
    }

    static func world(_ client: any TestClientProtocol, _ deps: WebDependencies) async throws -> World {
        let council = try await SignedInCouncil.onboard(client, deps, otherGroups: [])
        let scope = council.tenant.scope
        let groups = deps.identity.groups
        let north = try await groups.createGroup(
            scope,
            AccessGroup(name: "North officers", permissions: [.viewCase, .editCase, .sendCommunications, .viewMI], ownTeamsOnly: true),
            logger: logger)
        try await groups.requestMembership(
            scope, userID: council.otherID, groupID: north, requestedBy: council.adminID, needsApproval: false, now: Date(),
            logger: logger)
        try await groups.addTeam(scope, userID: council.otherID, team: "North", logger: logger)
        let caseOfficers = try #require(try await groups.groups(scope, logger: logger).first { $0.name == "Case officers" }?.id)
        try await groups.requestMembership(
            scope, userID: council.adminID, groupID: caseOfficers, requestedBy: council.adminID, needsApproval: false, now: Date(),
            logger: logger)
        let alex = Officer(id: council.adminID, name: "Alex Morgan")
        let margaret = try await deps.cases.addPerson(
            scope,
            PersonDetails(
                fullName: "Margaret Oyelaran", dateOfBirth: IntakeForm.date(born), nino: "AB123456C",
                addressLine1: "1 Example Street", town: "London", postcode: "SW1A 1AA"),
            confirmedNew: true, visibleTeams: nil, as: .caseworker(alex), logger: logger)
        let foreign = try await deps.cases.open(
            scope, .init(personID: margaret, kind: .new, channel: .paper, eligibility: .walking), as: .caseworker(alex),
            logger: logger)
        let dennis = try await deps.cases.addPerson(
            scope,
            PersonDetails(
                fullName: "Dennis Okafor", dateOfBirth: IntakeForm.date("02/11/1979"), addressLine1: "4 Mill Lane",
                town: "Manchester", postcode: "M1 1AE"),
            confirmedNew: true, visibleTeams: nil, as: .caseworker(alex), logger: logger)
        let own = try await deps.cases.open(
            scope, .init(personID: dennis, kind: .new, channel: .paper, eligibility: .pip, team: "North"), as: .caseworker(alex),
            logger: logger)
        return World(council: council, foreign: foreign, own: own, margaret: margaret)
    }

    /// A whole answer, with this request's id (in a header, and in the body of an error) taken
    /// out, so two answers can be compared exactly.
    struct Answer: Equatable {
        let status: HTTPResponse.Status
        let headers: [String]
        let body: String
    }

    static func fetch(
        _ client: any TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:],
        json: String? = nil
    ) async throws -> Answer {
        var headers = headers
        if json != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        let requestID = try #require(response.headers[HTTPField.Name("X-Request-Id")!])
        #expect(!requestID.isEmpty)
        return Answer(
            status: response.status,
            headers: response.headers.filter { $0.name.canonicalName != "x-request-id" }.map { "\($0.name.canonicalName): \($0.value)" }
                .sorted(),
            body: String(buffer: response.body).replacingOccurrences(of: requestID, with: "{request id}"))
    }

    /// A page as `browser` (with its cookies) gets it.
    static func page(_ client: any TestClientProtocol, _ browser: Browser, _ path: String, accept: String? = nil) async throws -> Answer {
        var headers: HTTPFields = [:]
        headers[.cookie] = await browser.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        if let accept { headers[.accept] = accept }
        return try await fetch(client, browser.base + path, headers: headers)
    }

    static func json(_ answer: Answer) -> Any? { try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    // MARK: pages

    @Test func anotherTeamsCaseIsInNoQueueNoSearchAndItsPageIsAMissingOnes() async throws {
        try await withApp { client, deps in
            let world = try await Self.world(client, deps)
            for tab in ["mine", "team", "unassigned", "due", "open"] {
                let queue = try await world.priya.get("/cases?show=\(tab)")
                #expect(queue.status == .ok && !queue.html.contains(world.foreign), "\(tab)")
            }
            #expect(try await world.priya.get("/cases?show=open").html.contains(world.own))
            #expect(try await world.alex.get("/cases?show=open").html.contains(world.foreign))
            // Search: by reference, postcode (as typed or not), name (even misspelt).
            for text in [world.foreign, world.foreign.lowercased(), "SW1A 1AA", "sw1a1aa", "Margaret Oyelaran", "margret oyelaren"] {
                let path = "/cases?q=\(Self.query(text))"
                // The search box shows what was typed, so look for the case's link, not its reference.
                let all = try await world.alex.get(path)
                #expect(all.html.contains("/cases/\(world.foreign)\"") && all.html.contains("<td>Margaret Oyelaran</td>"), "\(text)")
                let found = try await world.priya.get(path)
                #expect(found.status == .ok && !found.html.contains("/cases/\(world.foreign)\""), "\(text)")
                #expect(!found.html.contains("<td>Margaret Oyelaran</td>"), "\(text)")
            }
            #expect(try await world.priya.get("/cases?q=okafor").html.contains(world.own))

            // The case page, and a letter on it: exactly what a reference nobody has gets.
            #expect(try await world.priya.get("/cases/\(world.own)").status == .ok)
            #expect(try await world.alex.get("/cases/\(world.foreign)").status == .ok)
            let missing = "BB-2099-999999"
            let foreignPage = try await Self.page(client, world.priya, "/cases/\(world.foreign)")
            let missingPage = try await Self.page(client, world.priya, "/cases/\(missing)")
            #expect(foreignPage.status == .notFound)
            #expect(foreignPage == missingPage)
            #expect(!foreignPage.body.contains("Margaret") && foreignPage.body.contains("{request id}"))
            let letter = "/letters/\(UUID().uuidString)"
            let foreignLetter = try await Self.page(client, world.priya, "/cases/\(world.foreign)\(letter)")
            let missingLetter = try await Self.page(client, world.priya, "/cases/\(missing)\(letter)")
            #expect(foreignLetter.status == .notFound && foreignLetter == missingLetter)
            // Asked for as JSON: the same problem, apart from its `instance` (the request id).
            let foreignProblem = try await Self.page(client, world.priya, "/cases/\(world.foreign)", accept: "application/json")
            let missingProblem = try await Self.page(client, world.priya, "/cases/\(missing)", accept: "application/json")
            #expect(foreignProblem.status == .notFound && foreignProblem == missingProblem)
            let problem = try #require(Self.json(foreignProblem) as? [String: Any])
            #expect(problem["code"] as? String == "casework.no-such-case" && problem["instance"] as? String == "{request id}")
            // Acting on it: the same 404 as acting on nothing.
            try await world.priya.get("/cases")
            let note = try await world.priya.post("/cases/\(world.foreign)/notes", [("note", "peek")])
            let noNote = try await world.priya.post("/cases/\(missing)/notes", [("note", "peek")])
            #expect(note.status == .notFound && noNote.status == .notFound)
        }
    }

    @Test func aConfinedOfficerIsNotWarnedAboutAnotherTeamsApplicantNorToldTheirNINumberIsOnRecord() async throws {
        try await withApp { client, deps in
            let world = try await Self.world(client, deps)
            func application(_ name: String, nino: String = "") -> [(String, String)] {
                [
                    ("full-name", name), ("date-of-birth", Self.born), ("nino", nino), ("address-line1", "1 Example Street"),
                    ("town", "London"), ("postcode", "SW1A 1AA"), ("preferred-channel", "letter"), ("kind", "NEW"),
                    ("replace-reason", ""), ("channel", "PAPER"), ("eligibility", "WALKD"),
                ]
            }
            // Someone who sees every team is warned about Margaret, and told her number is taken.
            try await world.alex.get("/cases/new")
            let warned = try await world.alex.post("/cases/new", application("Margaret Oyelaren"))
            #expect(
                warned.status == .unprocessableContent && warned.html.contains("Possible matches already on record: Margaret Oyelaran"))
            let taken = try await world.alex.post(
                "/cases/new", application("Ruth Ambrose", nino: "AB 12 34 56 C") + [("confirm-new", "yes")])
            #expect(
                taken.status == .unprocessableContent
                    && taken.html.contains("Someone with this National Insurance number is already on record"))

            // Priya: no warning; the case opens in her team, with nothing of Margaret's on it.
            try await world.priya.get("/cases/new")
            let opened = try await world.priya.post("/cases/new", application("Margaret Oyelaren"))
            #expect(opened.status == .seeOther)
            let reference = try #require(opened.location?.components(separatedBy: "/cases/").last)
            let page = try await world.priya.get("/cases/\(reference)")
            #expect(page.status == .ok && page.html.contains("Margaret Oyelaren") && page.html.contains("team North"))
            #expect(!page.html.contains("Margaret Oyelaran") && !page.html.contains(world.foreign))
            // Her NI number: no refusal, whatever its wording; the record is kept as typed and
            // linked to Margaret's for whoever sees both.
            try await world.priya.get("/cases/new")
            let sameNumber = try await world.priya.post("/cases/new", application("Ruth Ambrose", nino: "AB 12 34 56 C"))
            #expect(sameNumber.status == .seeOther)
            let ruthCase = try #require(sameNumber.location?.components(separatedBy: "/cases/").last)
            let ruth = try await world.priya.get("/cases/\(ruthCase)")
            #expect(ruth.html.contains("Ruth Ambrose") && !ruth.html.contains("Margaret") && !ruth.html.contains("National Insurance"))
            let linked = try await deps.cases.database.transaction(world.scope, logger: Self.logger) { conn in
                var link: UUID?
                for try await value in try await conn.query(
                    "SELECT same_nino_as FROM people WHERE full_name = 'Ruth Ambrose'", logger: Self.logger
                ).decode(UUID?.self) { link = value }
                return link
            }
            #expect(linked == world.margaret)
        }
    }

    @Test func renewalsOfAnotherTeamsBadgesAreNeitherListedNorSent() async throws {
        try await withApp { client, deps in
            let world = try await Self.world(client, deps)
            // A live badge expiring in 30 days on each case (inside the default 56-day window).
            for (number, reference) in [("2A3B4C", world.foreign), ("5D6E7F", world.own)] {
                try await deps.cases.database.transaction(world.scope, logger: Self.logger) { conn in
                    _ = try await conn.query(
                        """
                        INSERT INTO badges (badge_number, application_id, person_id, eligibility, start_date, expiry_date, deliver_to,
                            status, ordered_at)
                        SELECT \(number), a.id, a.person_id, 'PIP', current_date, current_date + 30, 'HOME', 'ISSUED', now()
                        FROM applications a WHERE a.reference = \(reference)
                        """, logger: Self.logger
                    ).collect()
                }
            }
            let all = try await world.alex.get("/badges")
            #expect(all.html.contains("2A3B4C") && all.html.contains("5D6E7F"))
            let hers = try await world.priya.get("/badges")
            #expect(hers.status == .ok && hers.html.contains("5D6E7F") && !hers.html.contains("2A3B4C"))
            #expect(hers.html.contains("Send 1 renewal invitation") && !hers.html.contains("Send 2 renewal invitations"))
            #expect(!hers.html.contains("Margaret Oyelaran"))
            #expect(try await world.priya.post("/badges/renewals/invite").status == .seeOther)
            // Only her team's holder was written to; Margaret's invitation is still due.
            let due = try await deps.badges.renewalsDue(
                world.scope, today: Day(Date()), withinDays: 56, visibleTeams: nil, logger: Self.logger)
            #expect(due.map(\.number) == ["2A3B4C"])
            let foreignFile = try await deps.cases.file(world.scope, reference: world.foreign, as: .reader, logger: Self.logger)
            #expect(!foreignFile.letters.contains { $0.kind == "renewal-invitation" })
            let ownFile = try await deps.cases.file(world.scope, reference: world.own, as: .reader, logger: Self.logger)
            #expect(ownFile.letters.contains { $0.kind == "renewal-invitation" && $0.body.contains("5D6E7F") })
            // A badge page of another team's case is a missing badge's.
            let foreignBadge = try await Self.page(client, world.priya, "/badges/2A3B4C")
            let missingBadge = try await Self.page(client, world.priya, "/badges/KKKKKK")
            #expect(foreignBadge.status == .notFound && foreignBadge == missingBadge)
        }
    }

    @Test func managementInformationCountsAndListsOnlyTheTeamsCases() async throws {
        try await withApp { client, deps in
            let world = try await Self.world(client, deps)
            // Margaret's case is 40 days old (an exception); another of the default team's is decided.
            let alex = Officer(id: world.council.adminID, name: "Alex Morgan")
            let decided = try await deps.cases.open(
                world.scope, .init(personID: world.margaret, kind: .new, channel: .paper, eligibility: .pip),
                as: .caseworker(alex), logger: Self.logger)
            try await deps.cases.decide(
                world.scope, reference: decided, outcome: .approved, reasons: [], rationale: "", as: .caseworker(alex),
                logger: Self.logger)
            try await deps.cases.database.transaction(world.scope, logger: Self.logger) { conn in
                _ = try await conn.query(
                    "UPDATE applications SET received_at = now() - interval '40 days' WHERE reference = \(world.foreign)",
                    logger: Self.logger
                ).collect()
            }
            let everything = try await world.alex.get("/mi/summary.csv")
            #expect(everything.html.contains("applications by status,Received,2") && everything.html.contains("decided,all,1"))
            #expect(everything.html.contains(world.foreign) && everything.html.contains("decisions per officer (12 months),Alex Morgan,1"))

            let csv = try await world.priya.get("/mi/summary.csv")
            #expect(csv.status == .ok)
            #expect(csv.html.contains("applications by status,Received,1") && csv.html.contains("applications by status,Approved,0"))
            #expect(csv.html.contains("decided,all,0") && csv.html.contains("open cases by days on the clock,Over 28 days,0"))
            #expect(!csv.html.contains(world.foreign) && !csv.html.contains(decided) && !csv.html.contains("Alex Morgan"))
            let dashboard = try await world.priya.get("/mi")
            #expect(dashboard.status == .ok && dashboard.html.contains("alt=\"Applications by status: Draft 0, Received 1, "))
            #expect(!dashboard.html.contains(world.foreign) && dashboard.html.contains("No decisions yet"))
        }
    }

    // MARK: the JSON API

    /// Test only: the API's own handlers reached as the signed-in person named by `X-Test-User`.
    /// API keys are never confined to teams, so this is how a confined caller is put through the
    /// real handlers, guard and error middleware.
    struct SignedInAs: RouterMiddleware {
        typealias Context = TenantRequestContext
        let identity: IdentityServices

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            guard let id = request.headers[HTTPField.Name("X-Test-User")!].flatMap(UUID.init(uuidString:)) else {
                throw HTTPError(.unauthorized)
            }
            let scope = context.tenant.scope
            var context = context
            context.user = SignedInUser(
                sessionID: UUID(), stage: .complete, userID: id, fullName: "Test caller", email: "", hasTOTP: true,
                passwordExpired: false, principal: try await identity.groups.principal(scope, userID: id, logger: context.logger),
                policy: try await identity.policies.current(scope, logger: context.logger).document)
            return try await next(request, context)
        }
    }

    @Test func theAPIAnswersAnotherTeamsCaseAsOneThatDoesNotExist() async throws {
        let pages = try await Pages.load()
        try await withApp(routes: { router, deps in
            let access = AccessGuard(database: deps.identity.database)
            let badges = BadgesController(
                identity: deps.identity, cases: deps.cases, badges: deps.badges, fees: deps.fees, external: deps.external, access: access,
                pages: pages, publicBaseURL: PublicBaseURL.localhost(port: 8080))
            let routes = DeclaredRoutes(
                group: router.group("t/:tenant/api/as-signed-in", context: TenantRequestContext.self)
                    .add(middleware: SignedInAs(identity: deps.identity)),
                catalogue: RouteCatalogue(), area: .api, guardian: access)
            try CaseworkAPI(
                identity: deps.identity, cases: deps.cases, badges: badges, enforcement: deps.enforcement, documents: deps.documents
            )
            .registerHandlers(on: APITransport(routes: routes, operations: try APIOperations.load()))
        }) { client, deps in
            let world = try await Self.world(client, deps)
            let base = "/t/\(world.council.tenant.slug)/api/as-signed-in/"
            func call(_ who: UUID, _ method: HTTPRequest.Method, _ path: String, json: String? = nil) async throws -> Answer {
                var headers: HTTPFields = [:]
                headers[HTTPField.Name("X-Test-User")!] = who.uuidString
                return try await Self.fetch(client, base + path, method: method, headers: headers, json: json)
            }
            let priya = world.council.otherID
            let alex = world.council.adminID
            #expect(try await call(alex, .get, "applications/\(world.foreign)").status == .ok)
            #expect(try await call(priya, .get, "applications/\(world.own)").status == .ok)
            let foreign = try await call(priya, .get, "applications/\(world.foreign)")
            let missing = try await call(priya, .get, "applications/BB-2099-999999")
            #expect(foreign.status == .notFound && foreign == missing)
            let problem = try #require(Self.json(foreign) as? [String: Any])
            #expect(problem["code"] as? String == "casework.no-such-case" && problem["instance"] as? String == "{request id}")
            #expect(foreign.headers.contains("content-type: application/problem+json"))
            // Acting on it is acting on nothing.
            let note = try await call(priya, .post, "applications/\(world.foreign)/notes", json: #"{"text":"peek"}"#)
            let noNote = try await call(priya, .post, "applications/BB-2099-999999/notes", json: #"{"text":"peek"}"#)
            #expect(note.status == .notFound && note == noNote)

            // Lists and search.
            func references(_ answer: Answer) -> [String] {
                (Self.json(answer) as? [[String: Any]] ?? []).compactMap { $0["reference"] as? String }
            }
            #expect(Set(references(try await call(alex, .get, "applications?queue=open"))) == [world.foreign, world.own])
            #expect(references(try await call(priya, .get, "applications?queue=open")) == [world.own])
            for text in [world.foreign, "SW1A 1AA", "margret oyelaren"] {
                #expect(references(try await call(alex, .get, "applications?q=\(Self.query(text))")) == [world.foreign], "\(text)")
                let found = try await call(priya, .get, "applications?q=\(Self.query(text))")
                #expect(found.status == .ok && references(found).isEmpty, "\(text)")
            }

            // Figures: Priya's count only North's case.
            func received(_ answer: Answer) -> Int? {
                ((Self.json(answer) as? [String: Any])?["byStatus"] as? [[String: Any]])?.first { $0["label"] as? String == "Received" }?[
                    "count"] as? Int
            }
            #expect(received(try await call(alex, .get, "mi")) == 2)
            #expect(received(try await call(priya, .get, "mi")) == 1)

            // Taking in: no warning about Margaret, her NI number not refused; the case is North's.
            func applicant(_ name: String, nino: String?) throws -> String {
                var person: [String: String] = [
                    "fullName": name, "dateOfBirth": "1961-03-27", "addressLine1": "1 Example Street", "postcode": "SW1A 1AA",
                ]
                person["nino"] = nino
                let body: [String: Any] = ["applicant": person, "kind": "NEW", "channel": "PAPER", "eligibility": "WALKD"]
                return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            }
            let warned = try await call(alex, .post, "applications", json: applicant("Margaret Oyelaren", nino: nil))
            #expect(
                warned.status == .conflict && (Self.json(warned) as? [String: Any])?["code"] as? String == "casework.possible-duplicates")
            let lookAlike = try await call(priya, .post, "applications", json: applicant("Margaret Oyelaren", nino: nil))
            #expect(lookAlike.status == .created && (Self.json(lookAlike) as? [String: Any])?["team"] as? String == "North")
            let sameNumber = try await call(priya, .post, "applications", json: applicant("Ruth Ambrose", nino: "AB123456C"))
            #expect(sameNumber.status == .created && !sameNumber.body.contains("Margaret Oyelaran"))
        }
    }

    // MARK: onboarding and existing councils

    /// A council onboarded before teams were compulsory: migration 0011 gives it its default team
    /// and puts every case without a team there, leaving chosen teams alone.
    @Test func migrationGivesACouncilItsDefaultTeamAndEveryCaseATeam() async throws {
        let lifecycle = try await TestDatabase.lifecycle()
        let all = lifecycle.tenantMigrations
        let before = all.filter { $0.version < "0011" }
        let token = TestDatabase.uniqueToken()
        let authority = "test-\(token)"
        try await lifecycle.database.transaction { session in
            try session.query(
                "INSERT INTO kerb_control.authorities (slug, name, band, nation) VALUES ($1, $2, 'B', 'England')",
                [authority, "Test Council \(token)"])
        }
        let catalogue = try AuthorityCatalogue(
            authoritiesCSV: "slug,name,band,nation\n\(authority),Test Council \(token),B,England\n", bandsCSV: "band,rank,description\n")
        let tenant = try await lifecycle.with(catalogue: catalogue, tenantMigrations: before).onboard(
            .init(authority: authority, adminName: "Alex Morgan", adminEmail: "alex.morgan@\(token).test.kerb.example", actor: "test")
        ).tenant
        let scope = tenant.scope
        try await lifecycle.database.transaction { session in
            try session.enterTenant(scope)
            try session.query("INSERT INTO teams (name) VALUES ('North')")
            try session.query(
                "INSERT INTO people (id, full_name, address_line1, postcode) VALUES ('6f1c1b52-5b8e-4f0e-9a43-6d1f3f7f0a01', 'Ann Old', '1 Old St', 'M1 1AE')"
            )
            try session.query(
                """
                INSERT INTO applications (reference, person_id, kind, channel, status, team) VALUES
                    ('BB-2025-000001', '6f1c1b52-5b8e-4f0e-9a43-6d1f3f7f0a01', 'NEW', 'PAPER', 'DRAFT', NULL),
                    ('BB-2025-000002', '6f1c1b52-5b8e-4f0e-9a43-6d1f3f7f0a01', 'NEW', 'PAPER', 'DRAFT', 'North')
                """)
            try session.leaveTenant()
        }
        let outcomes = try await Migrator(database: lifecycle.database, control: [], tenant: all).migrateTenants([scope], parallelism: 1)
        #expect(outcomes.first?.error == nil && outcomes.first?.applied.contains { $0.hasPrefix("0011_") } == true)
        let (teams, cases) = try await lifecycle.database.transaction { session in
            try session.enterTenant(scope)
            let teams = try session.query("SELECT name FROM teams ORDER BY name").map { $0[0] ?? "" }
            let cases = try session.query("SELECT reference, team FROM applications ORDER BY reference").map {
                "\($0[0] ?? ""): \($0[1] ?? "")"
            }
            try session.leaveTenant()
            return (teams, cases)
        }
        #expect(teams == ["General casework", "North"])
        #expect(cases == ["BB-2025-000001: General casework", "BB-2025-000002: North"])
        // From now on a case without a team cannot be stored.
        do {
            try await lifecycle.database.transaction { session in
                try session.enterTenant(scope)
                try session.query("UPDATE applications SET team = NULL WHERE reference = 'BB-2025-000002'")
            }
            Issue.record("a case was left without a team")
        } catch StorageError.statementFailed(let state, _) {
            #expect(state == "23502")
        }
    }

    /// A council onboarded today starts with its default team.
    @Test func aNewCouncilStartsWithItsDefaultTeam() async throws {
        let tenant = try await TestDatabase.onboardTestTenant().tenant
        let teams = try await TestDatabase.prepared().transaction { session in
            try session.enterTenant(tenant.scope)
            let teams = try session.query("SELECT name FROM teams").map { $0[0] ?? "" }
            try session.leaveTenant()
            return teams
        }
        #expect(teams == [CaseService.defaultTeam])
    }
}
