import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NationalBlueBadge

/// A local stand-in for the national Blue Badge service (DfT applications service and
/// badge-management service, API v1) on one address: `/applications…` and `/badges…`.
///
/// Follows the published contract and the business rules of DfT's own service: each bearer token
/// belongs to one council and sees only that council's applications and badges (another council's
/// application is 404, its badge 403); orders are checked like `ValidateBadgeOrder` (start not
/// before today, expiry within 3 years of start, date of birth not in the future, valid codes,
/// never COUNCIL + FAST, no duplicate of a live badge); numbers come from a sequence counting down
/// from 63,999,999, written in base 20 and skipping blacklisted combinations; errors use the DfT
/// envelope and message keys (`DateInPast.badge.startDate`, `Invalid.badge.replace.badgeStatus` …).
///
/// In memory and thread-safe. "Today" comes from the injected clock (UK calendar day), so tests are
/// deterministic. Differences on purpose: any valid token may `POST /applications` for any council
/// (as the citizen app does) and a well-formed `submissionDate` it sends is kept, so the demo can
/// seed history; eligibility is not checked against the council's nation; there is no image
/// upload, badge search, deletion, transfer or print batch. ``markIssued(_:)`` plays the printer.
public final class NationalBlueBadgeFake: Sendable {
    struct StoredBadge {
        var badge: NationalBadge
        var deliverTo: String
        var deliveryOption: String
        /// The duplicate guard's key; cleared when the badge is cancelled.
        var hash: String?
    }

    struct State {
        var applications: [UUID: NationalApplication] = [:]
        var badges: [String: StoredBadge] = [:]
        var nextSequenceValue = BadgeNumber.sequenceStart
        var requests: [String] = []
    }

    private let tokens: [String: String]
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let server = FakeServer()

    /// - Parameters:
    ///   - tokens: each bearer token the fake accepts, mapped to its council's short code (e.g. `WSTMN`).
    ///   - clock: "now"; today is its calendar day in the UK.
    ///   - logger: for the fake's server; silent if `nil`.
    ///   - sequenceFile: where the next badge number is kept across restarts (the demo), so a
    ///     restarted register never hands out a number it gave before, as the real one never does.
    public init(
        tokens: [String: String], clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger? = nil, sequenceFile: URL? = nil
    ) {
        self.tokens = tokens
        self.clock = clock
        self.logger = logger ?? FakeHTTP.silent
        self.sequenceFile = sequenceFile
        if let sequenceFile, let text = try? String(contentsOf: sequenceFile, encoding: .utf8),
            let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), (0...BadgeNumber.sequenceStart).contains(value)
        {
            state.withLockedValue { $0.nextSequenceValue = value }
        }
    }

    private let sequenceFile: URL?

    /// Writes the next sequence value beside the demo's data (write to a temporary file, then
    /// rename, so a crash leaves the old value or the new one, never half of either).
    private func saveSequence() {
        guard let sequenceFile else { return }
        let value = state.withLockedValue { $0.nextSequenceValue }
        try? Data("\(value)\n".utf8).write(to: sequenceFile, options: .atomic)
    }

    // MARK: running

    /// Starts serving on `host:port` (0 picks a free port) and returns the port it bound.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        try await server.start(router: makeRouter(), host: host, port: port, logger: logger)
    }

    /// Stops serving and waits for the socket to close; what it holds is kept. The fake does not
    /// watch for signals, so whoever started it stops it.
    public func stop() async {
        await server.stop()
    }

    /// Where clients should send requests, e.g. `http://127.0.0.1:54321`, once started.
    public var baseURL: String? {
        server.baseURL
    }

    // MARK: inspection and control, for tests and the demo

    /// Every request received so far, as `METHOD /path` (no query, headers or bodies).
    public var requests: [String] {
        state.withLockedValue { $0.requests }
    }

    /// The badge with this number, whatever its council.
    public func badge(_ number: String) -> NationalBadge? {
        state.withLockedValue { $0.badges[number.uppercased()]?.badge }
    }

    /// The printer's confirmation: an ORDERED or PROCESSED badge becomes ISSUED today.
    /// Puts an application in as if a citizen had submitted it, under a chosen id, so the demo's
    /// applications keep their ids from one run to the next (Kerb imports each id once).
    public func seed(_ application: NationalApplication, id: UUID) {
        var application = application
        application.applicationId = id
        application.applicationStatus = application.applicationStatus ?? "TODO"
        let stored = application
        state.withLockedValue { $0.applications[id] = stored }
    }

    /// Returns `false` if there is no such badge or it is in another status.
    @discardableResult
    public func markIssued(_ number: String) -> Bool {
        let today = self.today
        return state.withLockedValue { state in
            guard var stored = state.badges[number.uppercased()], ["ORDERED", "PROCESSED"].contains(stored.badge.statusCode) else {
                return false
            }
            stored.badge.statusCode = "ISSUED"
            stored.badge.issuedDate = today
            state.badges[stored.badge.badgeNumber] = stored
            return true
        }
    }

    var today: String { NationalDate.day(clock()) }

    // MARK: routes

    /// The fake's routes, for embedding in another Hummingbird application or `app.test(.router)`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("applications") { request, _ in try await self.submit(request) }
        router.get("applications") { request, _ in self.find(request) }
        router.get("applications/:id") { request, context in self.application(request, id: context.parameters.get("id") ?? "") }
        router.put("applications/:id") { request, context in try await self.setStatus(request, id: context.parameters.get("id") ?? "") }
        router.post("badges") { request, _ in try await self.order(request) }
        router.get("badges/:number") { request, context in self.fetchBadge(request, number: context.parameters.get("number") ?? "") }
        router.post("badges/:number/cancellations") { request, context in
            try await self.cancel(request, number: context.parameters.get("number") ?? "")
        }
        router.post("badges/:number/replacements") { request, context in
            try await self.replace(request, number: context.parameters.get("number") ?? "")
        }
        return router
    }

    // MARK: responses

    typealias FieldError = NationalWire.FieldError

    private static func fieldErrors(_ errors: [FieldError]) -> Response {
        FakeHTTP.json(NationalWire.ErrorResponse(error: .init(errors: errors)), status: .badRequest)
    }

    private static func systemError(_ key: String, _ reason: String, status: HTTPResponse.Status = .badRequest) -> Response {
        FakeHTTP.json(NationalWire.ErrorResponse(error: .init(message: key, reason: reason)), status: status)
    }

    private static let unauthorised = FakeHTTP.json(
        ["error": "invalid_token", "error_description": "Invalid access token"], status: .unauthorized
    )
    private static let forbidden = FakeHTTP.json(["error": "access_denied", "error_description": "Access is denied"], status: .forbidden)
    private static let applicationNotFound = systemError("NotFound.application", "Application not found.", status: .notFound)
    private static let badgeNotFound = systemError("NotFound.badge", "Badge not found.", status: .notFound)
    private static let emptyResponse = FakeHTTP.json([String: String]())

    /// Records the request and returns the council of its token, or `nil` for a missing or unknown token.
    private func authorise(_ request: Request) -> String? {
        let line = "\(request.method) \(request.uri.path)"
        state.withLockedValue { $0.requests.append(line) }
        return FakeHTTP.bearer(request).flatMap { tokens[$0] }
    }

    private static func unreadable(_ what: String) -> Response {
        fieldErrors([FieldError(field: nil, reason: "The request body could not be read.", message: "HttpMessageNotReadable.\(what)")])
    }

    // MARK: reference data (DfT reference-data service)

    static let applicationTypes: Set<String> = ["NEW", "RENEW", "CANCEL", "REPLACE"]
    static let applicationStatuses: Set<String> = ["TODO", "INPROGRESS", "COMPLETED"]
    static let partyTypes: Set<String> = ["PERSON", "ORG"]
    static let genders: Set<String> = ["MALE", "FEMALE", "UNSPECIFIE"]
    static let eligibility: Set<String> = ["PIP", "DLA", "AFRFCS", "WPMS", "BLIND", "WALKD", "ARMS", "CHILDBULK", "CHILDVEHIC"]
    static let channels: Set<String> = ["PAPER", "PHONE", "INPERSON", "ONLINE"]
    static let deliverTo: Set<String> = ["HOME", "COUNCIL"]
    static let deliveryOptions: Set<String> = ["STAND", "FAST"]
    static let cancelReasons: Set<String> = ["REVOKE", "DECEASE", "NOLONG", "UNDELIVER", "LOST", "STOLE", "DAMAGED"]
    static let replaceReasons: Set<String> = ["STOLE", "LOST", "DAMAGED", "UNDELIVER"]

    static func isAuthorityCode(_ code: String) -> Bool {
        !code.isEmpty && code.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
    }

    // MARK: applications service

    private func submit(_ request: Request) async throws -> Response {
        guard authorise(request) != nil else { return Self.unauthorised }
        let data = try await FakeHTTP.body(request)
        guard var application = try? JSONDecoder().decode(NationalApplication.self, from: data) else {
            return Self.unreadable("application")
        }
        var errors: [FieldError] = []
        if !Self.applicationTypes.contains(application.applicationTypeCode) {
            errors.append(
                .init(field: "applicationTypeCode", reason: "Invalid application type.", message: "Invalid.application.applicationTypeCode")
            )
        }
        if !Self.isAuthorityCode(application.localAuthorityCode) {
            errors.append(
                .init(
                    field: "localAuthorityCode", reason: "Invalid local authority code.", message: "Invalid.application.localAuthorityCode")
            )
        }
        if !Self.partyTypes.contains(application.party.typeCode) {
            errors.append(.init(field: "party.typeCode", reason: "Invalid party code.", message: "Invalid.application.party.typeCode"))
        }
        if application.party.typeCode == "PERSON" {
            if let person = application.party.person {
                if !NationalDate.isDay(person.dob) || person.dob > today {
                    errors.append(
                        .init(field: "party.person.dob", reason: "must be in the past", message: "Past.application.party.person.dob"))
                }
                if !Self.genders.contains(person.genderCode) {
                    errors.append(
                        .init(
                            field: "party.person.genderCode", reason: "Invalid gender code.",
                            message: "Invalid.application.party.person.genderCode"))
                }
            } else {
                errors.append(.init(field: "party.person", reason: "must not be null", message: "NotNull.application.party.person"))
            }
        }
        if let code = application.eligibility?.typeCode, !Self.eligibility.contains(code) {
            errors.append(
                .init(
                    field: "eligibility.typeCode", reason: "Invalid eligibility code.", message: "Invalid.application.eligibility.typeCode")
            )
        }
        guard errors.isEmpty else { return Self.fieldErrors(errors) }

        let id = UUID()
        application.applicationId = id
        application.applicationStatus = "TODO"
        if let submitted = NationalDate.parseInstant(application.submissionDate) {
            application.submissionDate = NationalDate.instant(submitted)
        } else {
            application.submissionDate = NationalDate.instant(clock())
        }
        let stored = application
        state.withLockedValue { $0.applications[id] = stored }
        return FakeHTTP.json(NationalWire.DataResponse(data: id.uuidString.lowercased()))
    }

    struct PagedApplications: Encodable {
        var pagingInfo: PagingInfo
        var data: [ApplicationSummary]
    }

    private func find(_ request: Request) -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        let query = request.uri.queryParameters
        var errors: [FieldError] = []
        func instant(_ name: String) -> Date? {
            guard let raw = query[Substring(name)] else { return nil }
            guard let date = NationalDate.parseInstant(String(raw)) else {
                errors.append(
                    .init(
                        field: name, reason: "Invalid date-time; use ISO-8601, e.g. 2018-12-25T12:30:45Z", message: "typeMismatch.\(name)"))
                return nil
            }
            return date
        }
        let from = instant("from")
        let to = instant("to")
        let type = query["applicationTypeCode"].map(String.init)
        if let type, !Self.applicationTypes.contains(type) {
            errors.append(
                .init(field: "applicationTypeCode", reason: "Invalid application type.", message: "typeMismatch.applicationTypeCode"))
        }
        let pageNum = query["pageNum"].map { Int($0) ?? 0 } ?? 1
        let pageSize = query["pageSize"].map { Int($0) ?? 0 } ?? 50
        if pageNum < 1 { errors.append(.init(field: "pageNum", reason: "must be greater than or equal to 1", message: "Min.pageNum")) }
        if !(1...200).contains(pageSize) {
            errors.append(.init(field: "pageSize", reason: "must be between 1 and 200", message: "Range.pageSize"))
        }
        guard errors.isEmpty else { return Self.fieldErrors(errors) }

        let matching = state.withLockedValue { state in
            state.applications.values.filter { application in
                guard application.localAuthorityCode == authority else { return false }
                if let type, application.applicationTypeCode != type { return false }
                guard let submitted = NationalDate.parseInstant(application.submissionDate) else { return false }
                if let from, submitted < from { return false }
                if let to, submitted > to { return false }
                return true
            }
        }
        .sorted { ($0.submissionDate, $0.applicationId?.uuidString ?? "") > ($1.submissionDate, $1.applicationId?.uuidString ?? "") }
        let pageRows = matching.dropFirst((pageNum - 1) * pageSize).prefix(pageSize)
        let summaries = pageRows.map { application in
            ApplicationSummary(
                applicationId: application.applicationId ?? UUID(), partyTypeCode: application.party.typeCode,
                applicationTypeCode: application.applicationTypeCode, nino: application.party.person?.nino,
                dob: application.party.person?.dob,
                name: application.party.person?.badgeHolderName ?? application.party.organisation?.badgeHolderName
                    ?? application.party.contact.fullName ?? "",
                submissionDate: application.submissionDate, eligibilityCode: application.eligibility?.typeCode,
                applicationStatus: application.applicationStatus
            )
        }
        let paging = PagingInfo(
            total: matching.count, count: summaries.count, pageSize: pageSize, pageNum: pageNum,
            pages: (matching.count + pageSize - 1) / pageSize
        )
        return FakeHTTP.json(PagedApplications(pagingInfo: paging, data: summaries))
    }

    private func application(_ request: Request, id: String) -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        guard let uuid = UUID(uuidString: id) else {
            return Self.fieldErrors([.init(field: "applicationId", reason: "Invalid application id.", message: "Invalid.applicationId")])
        }
        // Another council's application is reported as missing, so ids reveal nothing.
        guard let application = state.withLockedValue({ $0.applications[uuid] }), application.localAuthorityCode == authority else {
            return Self.applicationNotFound
        }
        return FakeHTTP.json(NationalWire.DataResponse(data: application))
    }

    private func setStatus(_ request: Request, id: String) async throws -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        let data = try await FakeHTTP.body(request)
        guard let uuid = UUID(uuidString: id) else {
            return Self.fieldErrors([.init(field: "applicationId", reason: "Invalid application id.", message: "Invalid.applicationId")])
        }
        guard let update = try? JSONDecoder().decode(NationalWire.ApplicationStatusUpdate.self, from: data) else {
            return Self.unreadable("applicationUpdate")
        }
        guard Self.applicationStatuses.contains(update.applicationStatus) else {
            return Self.fieldErrors([
                .init(field: "applicationStatus", reason: "Invalid application status.", message: "InvalidFormat.applicationStatus")
            ])
        }
        let found = state.withLockedValue { state in
            guard var application = state.applications[uuid], application.localAuthorityCode == authority else { return false }
            application.applicationStatus = update.applicationStatus
            state.applications[uuid] = application
            return true
        }
        return found ? Self.emptyResponse : Self.applicationNotFound
    }

    // MARK: badge management

    private func order(_ request: Request) async throws -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        let data = try await FakeHTTP.body(request)
        guard let order = try? JSONDecoder().decode(BadgeOrder.self, from: data) else { return Self.unreadable("badgeOrderRequest") }
        // The service authorises the council before it validates anything else.
        guard order.localAuthorityShortCode == authority else { return Self.forbidden }
        let today = self.today

        var errors: [FieldError] = []
        func add(_ field: String, _ reason: String, _ key: String) { errors.append(.init(field: field, reason: reason, message: key)) }
        let party = order.party
        switch party.typeCode {
        case "PERSON":
            if let person = party.person {
                if !NationalDate.isDay(person.dob) {
                    add("party.person.dob", "Invalid date; use yyyy-MM-dd.", "InvalidFormat.party.person.dob")
                } else if person.dob > today {
                    add("party.person.dob", "must be in the past", "Past.badgeOrderRequest.party.person.dob")
                }
                if !Self.genders.contains(person.genderCode) {
                    add("party.person.genderCode", "Invalid gender code.", "Invalid.badge.genderCode")
                }
                if let nino = person.nino, nino.count > 9 {
                    add("party.person.nino", "Invalid national insurance number.", "Pattern.badgeOrderRequest.party.person.nino")
                }
            } else {
                add("party", "Person details must be included if party is a person.", "NotNull.badge.person")
            }
            if order.numberOfBadges != 1 {
                add("numberOfBadges", "Number of badges for person should be 1", "Invalid.badge.numberOfBadges")
            }
        case "ORG":
            if party.organisation == nil {
                add("organisation", "Organisation details must be included if party is an organisation.", "NotNull.badge.organisation")
            }
            if (party.contact.fullName ?? "").isEmpty {
                add("party.contact.fullName", "must not be null", "NotNull.badgeOrderRequest.party.contact.fullName")
            }
            if !(1...999).contains(order.numberOfBadges) {
                add("numberOfBadges", "Number of badges should be between 1 and 999", "Invalid.badge.numberOfBadges")
            }
        default:
            add("partyCode", "Invalid party code.", "Invalid.badge.partyCode")
        }
        let contact = party.contact
        for (field, value, limit) in [
            ("buildingStreet", contact.buildingStreet, 50), ("line2", contact.line2 ?? "", 40), ("townCity", contact.townCity, 40),
            ("primaryPhoneNumber", contact.primaryPhoneNumber, 20), ("secondaryPhoneNumber", contact.secondaryPhoneNumber ?? "", 20),
            ("emailAddress", contact.emailAddress ?? "", 100),
        ] where value.count > limit {
            add("party.contact.\(field)", "size must be between 0 and \(limit)", "Size.badgeOrderRequest.party.contact.\(field)")
        }
        if let email = contact.emailAddress, !email.isEmpty,
            email.firstIndex(of: "@").map({ $0 == email.startIndex || $0 == email.index(before: email.endIndex) }) ?? true
        {
            add("party.contact.emailAddress", "must match \"\\S+@\\S+\"", "Pattern.badgeOrderRequest.party.contact.emailAddress")
        }
        if (order.localAuthorityRef ?? "").count > 100 {
            add("localAuthorityRef", "size must be between 0 and 100", "Size.badgeOrderRequest.localAuthorityRef")
        }
        if party.typeCode == "PERSON" || !order.eligibilityCode.isEmpty, !Self.eligibility.contains(order.eligibilityCode) {
            add("eligibilityCode", "Invalid eligibility code.", "Invalid.badge.eligibilityCode")
        }
        if !Self.channels.contains(order.applicationChannelCode) {
            add("appChannelCode", "Invalid channel code.", "Invalid.badge.channelCode")
        }
        if !Self.deliverTo.contains(order.deliverToCode) { add("deliverToCode", "Invalid deliver to code.", "Invalid.badge.deliverToCode") }
        if !Self.deliveryOptions.contains(order.deliveryOptionCode) {
            add("deliverOptionCode", "Invalid delivery option code.", "Invalid.badge.deliverOptionCode")
        }
        if order.deliverToCode == "COUNCIL" && order.deliveryOptionCode == "FAST" {
            add(
                "deliverToCode", "Only 'standard' delivery option is available when delivering to council.",
                "Invalid.badge.deliverOptionCode")
        }
        let datesReadable = [order.applicationDate, order.startDate, order.expiryDate].allSatisfy(NationalDate.isDay)
        if !NationalDate.isDay(order.applicationDate) {
            add("applicationDate", "Invalid date; use yyyy-MM-dd.", "InvalidFormat.applicationDate")
        } else if order.applicationDate > today {
            add("applicationDate", "Application date must be in the past.", "DateInPast.badge.applicationDate")
        }
        if !NationalDate.isDay(order.startDate) {
            add("startDate", "Invalid date; use yyyy-MM-dd.", "InvalidFormat.startDate")
        } else if order.startDate < today {
            add("startDate", "Badge start date cannot be in the past.", "DateInPast.badge.startDate")
        }
        if !NationalDate.isDay(order.expiryDate) {
            add("expiryDate", "Invalid date; use yyyy-MM-dd.", "InvalidFormat.expiryDate")
        } else if datesReadable,
            order.expiryDate < order.startDate || order.expiryDate > (NationalDate.adding(years: 3, to: order.startDate) ?? "")
        {
            add("expiryDate", "Expiry date must be within 3 years of start date.", "DateRange.badge.expiryDate")
        }
        guard errors.isEmpty else { return Self.fieldErrors(errors) }

        let hash = Self.duplicateKey(order)
        let numbers: [String]? = state.withLockedValue { state in
            let live = state.badges.values.contains {
                $0.hash == hash && !["CANCELLED", "DELETED", "REJECT"].contains($0.badge.statusCode)
            }
            if live { return nil }
            var numbers: [String] = []
            for _ in 0..<order.numberOfBadges {
                guard let number = Self.allocate(&state) else { return [] }
                let badge = NationalBadge(
                    badgeNumber: number, party: order.party, localAuthorityShortCode: order.localAuthorityShortCode,
                    localAuthorityRef: order.localAuthorityRef, applicationDate: order.applicationDate,
                    applicationChannelCode: order.applicationChannelCode, orderDate: today, startDate: order.startDate,
                    expiryDate: order.expiryDate, eligibilityCode: order.eligibilityCode, statusCode: "ORDERED"
                )
                state.badges[number] = StoredBadge(
                    badge: badge, deliverTo: order.deliverToCode, deliveryOption: order.deliveryOptionCode, hash: hash
                )
                numbers.append(number)
            }
            return numbers
        }
        guard let numbers else { return Self.systemError("AlreadyExists.badge", "A badge with these details already exists.") }
        guard !numbers.isEmpty else { return Self.systemError("Exhausted.badge", "No badge numbers are left.") }
        saveSequence()
        return FakeHTTP.json(NationalWire.DataResponse(data: numbers))
    }

    /// The next number from the national sequence that is free and not blacklisted.
    /// Nil once the sequence has run out (never in practice: 64 million numbers).
    static func allocate(_ state: inout State) -> String? {
        while state.nextSequenceValue >= 0 {
            let value = state.nextSequenceValue
            state.nextSequenceValue -= 1
            let number = BadgeNumber.encode(value)
            if !BadgeNumber.isBlacklisted(number) && state.badges[number] == nil { return number }
        }
        return nil
    }

    /// The service's duplicate guard: holder name, date of birth, council, NINO, postcode and the
    /// two dates, with "X" for a missing text and 1970-01-01 for a missing date.
    static func duplicateKey(_ order: BadgeOrder) -> String {
        let person = order.party.person
        return [
            person?.badgeHolderName ?? order.party.organisation?.badgeHolderName ?? "X", person?.dob ?? "1970-01-01",
            order.localAuthorityShortCode, person?.nino ?? "X", order.party.contact.postCode, order.startDate, order.expiryDate,
        ].joined(separator: "\u{1F}").uppercased()
    }

    /// The service trims and upper-cases badge numbers before looking them up.
    static func normalised(_ number: String) -> String {
        number.trimmingCharacters(in: .whitespaces).uppercased()
    }

    private enum Lookup {
        case found(StoredBadge)
        case missing
        case otherCouncil
    }

    private static func lookup(_ number: String, authority: String, in state: State) -> Lookup {
        guard let stored = state.badges[number], stored.badge.statusCode != "DELETED" else { return .missing }
        return stored.badge.localAuthorityShortCode == authority ? .found(stored) : .otherCouncil
    }

    private func fetchBadge(_ request: Request, number: String) -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        let number = Self.normalised(number)
        switch state.withLockedValue({ Self.lookup(number, authority: authority, in: $0) }) {
        case .missing: return Self.badgeNotFound
        case .otherCouncil: return Self.forbidden
        case .found(let stored): return FakeHTTP.json(NationalWire.DataResponse(data: stored.badge))
        }
    }

    private func cancel(_ request: Request, number: String) async throws -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        let number = Self.normalised(number)
        let data = try await FakeHTTP.body(request)
        guard let body = try? JSONDecoder().decode(NationalWire.CancelRequest.self, from: data) else {
            return Self.unreadable("badgeCancelRequest")
        }
        guard Self.normalised(body.badgeNumber) == number else {
            return Self.systemError("Invalid.badgeNumber", "Invalid badge number or the body does not match the request.")
        }
        guard Self.cancelReasons.contains(body.cancelReasonCode) else {
            return Self.fieldErrors([
                .init(field: "cancelReasonCode", reason: "Invalid cancel code.", message: "Invalid.badgeCancelRequest.cancelReasonCode")
            ])
        }
        let today = self.today
        defer { saveSequence() }
        return state.withLockedValue { state in
            switch Self.lookup(number, authority: authority, in: state) {
            case .missing: return Self.badgeNotFound
            case .otherCouncil: return Self.forbidden
            case .found(var stored):
                guard ["ISSUED", "ORDERED"].contains(stored.badge.statusCode) else {
                    return Self.systemError("Invalid.badge.cancel.status", "Cannot cancel a badge of this status.")
                }
                guard stored.badge.expiryDate >= today else {
                    return Self.systemError("Invalid.badge.cancel.expiryDate", "Cannot cancel an expired badge.")
                }
                stored.badge.statusCode = "CANCELLED"
                stored.badge.cancelReasonCode = body.cancelReasonCode
                stored.hash = nil
                state.badges[number] = stored
                return Self.emptyResponse
            }
        }
    }

    private func replace(_ request: Request, number: String) async throws -> Response {
        guard let authority = authorise(request) else { return Self.unauthorised }
        let number = Self.normalised(number)
        let data = try await FakeHTTP.body(request)
        guard let body = try? JSONDecoder().decode(NationalWire.ReplaceRequest.self, from: data) else {
            return Self.unreadable("badgeReplaceRequest")
        }
        guard Self.normalised(body.badgeNumber) == number else {
            return Self.systemError("Invalid.badgeNumber", "Invalid badge number or the body does not match the request.")
        }
        var errors: [FieldError] = []
        if !Self.replaceReasons.contains(body.replaceReasonCode) {
            errors.append(.init(field: "replaceReasonCode", reason: "Invalid replace reason.", message: "InvalidFormat.replaceReasonCode"))
        }
        if !Self.deliverTo.contains(body.deliverToCode) {
            errors.append(.init(field: "deliverToCode", reason: "Invalid deliver to code.", message: "InvalidFormat.deliverToCode"))
        }
        if !Self.deliveryOptions.contains(body.deliveryOptionCode) {
            errors.append(
                .init(field: "deliveryOptionCode", reason: "Invalid delivery option code.", message: "InvalidFormat.deliveryOptionCode"))
        }
        if body.deliverToCode == "COUNCIL" && body.deliveryOptionCode == "FAST" {
            errors.append(
                .init(
                    field: "deliverToCode", reason: "Only 'standard' delivery option is available when delivering to council.",
                    message: "Invalid.badge.deliverOptionCode"
                )
            )
        }
        guard errors.isEmpty else { return Self.fieldErrors(errors) }
        let today = self.today
        defer { saveSequence() }
        return state.withLockedValue { state in
            switch Self.lookup(number, authority: authority, in: state) {
            case .missing: return Self.badgeNotFound
            case .otherCouncil: return Self.forbidden
            case .found(var old):
                guard old.badge.statusCode == "ISSUED" else {
                    return Self.systemError("Invalid.badge.replace.badgeStatus", "Cannot replace a badge of this status.")
                }
                guard old.badge.expiryDate >= today else {
                    return Self.systemError("Invalid.badge.replace.expiryDate", "Cannot replace an expired badge.")
                }
                guard let newNumber = Self.allocate(&state) else {
                    return Self.systemError("Exhausted.badge", "No badge numbers are left.")
                }
                var badge = old.badge
                badge.badgeNumber = newNumber
                badge.statusCode = "ORDERED"
                badge.orderDate = today
                badge.startDate = today
                badge.issuedDate = nil
                badge.cancelReasonCode = nil
                badge.replaceReasonCode = nil
                state.badges[newNumber] = StoredBadge(
                    badge: badge, deliverTo: body.deliverToCode, deliveryOption: body.deliveryOptionCode, hash: old.hash
                )
                old.badge.statusCode = "REPLACED"
                old.badge.replaceReasonCode = body.replaceReasonCode
                state.badges[number] = old
                return FakeHTTP.json(NationalWire.DataResponse(data: newNumber))
            }
        }
    }
}
