import AsyncHTTPClient
import Foundation
import KerbCore
import Logging
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// The live client for the national Blue Badge service: the DfT applications service (what
/// citizens applied for online) and the badge-management service (ordering, cancelling and
/// replacing badges).
///
/// The bearer token is issued to one council, and the service takes the council from the token,
/// never from a parameter: `findApplications(localAuthority:…)` checks the code's shape and
/// logs it, but does not send it. Each call has a deadline; retries belong to the caller.
public struct NationalBlueBadgeClient: Sendable {
    let applications: BearerJSONTransport
    let badges: BearerJSONTransport
    let token: String

    /// - Parameters:
    ///   - baseURL: where `/applications` lives, and `/badges` too unless `badgeManagementURL` is given
    ///     (the two are separate services in DfT's deployment; the fake serves both).
    ///   - token: the council's OAuth2 bearer token; never logged or put into an error.
    public init(
        baseURL: String, token: String, httpClient: HTTPClient = .shared, badgeManagementURL: String? = nil,
        timeout: TimeAmount = .seconds(10)
    ) {
        let accept = "application/vnd.bluebadge-api.v1+json, application/json"
        self.applications = BearerJSONTransport(
            baseURL: baseURL, httpClient: httpClient, timeout: timeout, accept: accept, maxResponseBytes: 4 << 20)
        self.badges = BearerJSONTransport(
            baseURL: badgeManagementURL ?? baseURL, httpClient: httpClient, timeout: timeout, accept: accept, maxResponseBytes: 4 << 20)
        self.token = token
    }

    // MARK: applications service

    /// Finds the council's applications submitted between `from` and `to` (inclusive; either may be
    /// open), optionally of one `type` (NEW, RENEW, CANCEL, REPLACE). `GET /applications`.
    /// - Parameters:
    ///   - localAuthority: the council's short code (upper-case letters); the token decides the council.
    ///   - pageSize: 1…200, as the service allows.
    public func findApplications(
        localAuthority: String, from: Date?, to: Date?, type: String? = nil, page: Int = 1, pageSize: Int = 50,
        logger: Logger? = nil
    ) async throws -> ApplicationPage {
        var issues: [FieldIssue] = []
        if !Self.isAuthorityCode(localAuthority) {
            issues.append(.init(field: "localAuthority", message: "A council short code is upper-case letters"))
        }
        if let type, !Self.applicationTypes.contains(type) {
            issues.append(.init(field: "applicationTypeCode", message: "The application type must be NEW, RENEW, CANCEL or REPLACE"))
        }
        if page < 1 { issues.append(.init(field: "pageNum", message: "Pages are numbered from 1")) }
        if !(1...200).contains(pageSize) { issues.append(.init(field: "pageSize", message: "A page holds 1 to 200 applications")) }
        if let from, let to, from > to { issues.append(.init(field: "from", message: "The search starts after it ends")) }
        guard issues.isEmpty else { throw NationalServiceError.invalid(issues) }

        var query: [(String, String)] = []
        if let from { query.append(("from", NationalDate.instant(from))) }
        if let to { query.append(("to", NationalDate.instant(to))) }
        if let type { query.append(("applicationTypeCode", type)) }
        query.append(("pageNum", String(page)))
        query.append(("pageSize", String(pageSize)))
        var logger = logger
        logger?[metadataKey: "kerb.national.la"] = "\(localAuthority)"
        return try await send(.GET, applications, "/applications", query: query, body: nil, logger: logger)
    }

    /// One application in full. `GET /applications/{id}`; another council's is ``NationalServiceError/notFound``.
    public func application(id: UUID, logger: Logger? = nil) async throws -> NationalApplication {
        let response: NationalWire.DataResponse<NationalApplication> = try await send(
            .GET, applications, "/applications/\(id.uuidString.lowercased())", body: nil, logger: logger
        )
        return response.data
    }

    /// Moves an application through the council's queue: TODO, INPROGRESS or COMPLETED.
    /// `PUT /applications/{id}`.
    public func setApplicationStatus(id: UUID, _ status: String, logger: Logger? = nil) async throws {
        guard Self.applicationStatuses.contains(status) else {
            throw NationalServiceError.invalid([
                .init(field: "applicationStatus", message: "The status must be TODO, INPROGRESS or COMPLETED")
            ])
        }
        let body = try JSONEncoder().encode(NationalWire.ApplicationStatusUpdate(applicationStatus: status))
        try await sendExpectingNoData(.PUT, applications, "/applications/\(id.uuidString.lowercased())", body: body, logger: logger)
    }

    /// Submits an application as the citizen web app does (`POST /applications`) and returns the
    /// id the service gave it. Kerb's demo uses this to seed applications.
    public func submitApplication(_ application: NationalApplication, logger: Logger? = nil) async throws -> UUID {
        var issues: [FieldIssue] = []
        if !Self.applicationTypes.contains(application.applicationTypeCode) {
            issues.append(.init(field: "applicationTypeCode", message: "The application type must be NEW, RENEW, CANCEL or REPLACE"))
        }
        if !Self.isAuthorityCode(application.localAuthorityCode) {
            issues.append(.init(field: "localAuthorityCode", message: "A council short code is upper-case letters"))
        }
        if application.party.typeCode == "PERSON" && application.party.person == nil {
            issues.append(.init(field: "party.person", message: "An application for a person needs the person's details"))
        }
        guard issues.isEmpty else { throw NationalServiceError.invalid(issues) }
        let body = try JSONEncoder().encode(application)
        let response: NationalWire.DataResponse<UUID> = try await send(.POST, applications, "/applications", body: body, logger: logger)
        return response.data
    }

    // MARK: badge management

    /// Orders one badge (`POST /badges`) and returns its new number (`data[0]`).
    /// Checked first against the service's order rules that need no reference data: a PERSON party
    /// with a person, or an ORG party with the organisation and a contact name; one badge per order
    /// (Kerb orders one per application); `yyyy-MM-dd` dates; not COUNCIL + FAST.
    /// The service itself checks the dates against today and the 3-year limit.
    public func orderBadge(_ order: BadgeOrder, logger: Logger? = nil) async throws -> String {
        var issues: [FieldIssue] = []
        switch order.party.typeCode {
        case "PERSON" where order.party.person != nil: break
        case "ORG" where order.party.organisation != nil && !(order.party.contact.fullName ?? "").isEmpty: break
        default: issues.append(.init(field: "party", message: "A badge is for a person, or for an organisation with a contact name"))
        }
        if order.numberOfBadges != 1 { issues.append(.init(field: "numberOfBadges", message: "Kerb orders one badge per application")) }
        if !Self.isAuthorityCode(order.localAuthorityShortCode) {
            issues.append(.init(field: "localAuthorityShortCode", message: "A council short code is upper-case letters"))
        }
        for (field, value) in [
            ("applicationDate", order.applicationDate), ("startDate", order.startDate), ("expiryDate", order.expiryDate),
        ]
        where !NationalDate.isDay(value) {
            issues.append(.init(field: field, message: "Dates are sent as yyyy-MM-dd"))
        }
        if NationalDate.isDay(order.startDate) && NationalDate.isDay(order.expiryDate) && order.expiryDate < order.startDate {
            issues.append(.init(field: "expiryDate", message: "The badge cannot expire before it starts"))
        }
        if order.deliverToCode == "COUNCIL" && order.deliveryOptionCode == "FAST" {
            issues.append(.init(field: "deliveryOptionCode", message: "Only standard delivery is available when delivering to the council"))
        }
        guard issues.isEmpty else { throw NationalServiceError.invalid(issues) }
        let body = try JSONEncoder().encode(order)
        let response: NationalWire.DataResponse<[String]> = try await send(.POST, badges, "/badges", body: body, logger: logger)
        guard let number = response.data.first else { throw NationalServiceError.unavailable("it ordered no badge") }
        return number
    }

    /// One badge (`GET /badges/{n}`). Another council's badge is ``NationalServiceError/forbidden``.
    public func badge(number: String, logger: Logger? = nil) async throws -> NationalBadge {
        let number = try Self.normalised(number)
        let response: NationalWire.DataResponse<NationalBadge> = try await send(
            .GET, badges, "/badges/\(number)", body: nil, logger: logger)
        return response.data
    }

    /// Cancels an ISSUED or ORDERED, unexpired badge (`POST /badges/{n}/cancellations`).
    /// `reason`: REVOKE, DECEASE, NOLONG, UNDELIVER, LOST, STOLE or DAMAGED.
    public func cancelBadge(number: String, reason: String, logger: Logger? = nil) async throws {
        let number = try Self.normalised(number)
        let body = try JSONEncoder().encode(NationalWire.CancelRequest(badgeNumber: number, cancelReasonCode: reason))
        try await sendExpectingNoData(.POST, badges, "/badges/\(number)/cancellations", body: body, logger: logger)
    }

    /// Replaces an ISSUED, unexpired badge (`POST /badges/{n}/replacements`): the old one becomes
    /// REPLACED and a new number is ORDERED with the same expiry. Returns the new number.
    /// - Parameters:
    ///   - reason: STOLE, LOST, DAMAGED or UNDELIVER.
    ///   - deliverTo: HOME or COUNCIL. `deliveryOption`: STAND or FAST (not FAST to COUNCIL).
    public func replaceBadge(number: String, reason: String, deliverTo: String, deliveryOption: String, logger: Logger? = nil)
        async throws -> String
    {
        let number = try Self.normalised(number)
        if deliverTo == "COUNCIL" && deliveryOption == "FAST" {
            throw NationalServiceError.invalid([
                .init(field: "deliveryOptionCode", message: "Only standard delivery is available when delivering to the council")
            ])
        }
        let body = try JSONEncoder().encode(
            NationalWire.ReplaceRequest(
                badgeNumber: number, replaceReasonCode: reason, deliverToCode: deliverTo, deliveryOptionCode: deliveryOption)
        )
        let response: NationalWire.DataResponse<String> = try await send(
            .POST, badges, "/badges/\(number)/replacements", body: body, logger: logger
        )
        return response.data
    }

    // MARK: transport

    static let applicationTypes: Set<String> = ["NEW", "RENEW", "CANCEL", "REPLACE"]
    static let applicationStatuses: Set<String> = ["TODO", "INPROGRESS", "COMPLETED"]

    static func isAuthorityCode(_ code: String) -> Bool {
        (1...10).contains(code.count) && code.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
    }

    /// Upper-cases and trims as the service does, then insists on six base-20 characters.
    static func normalised(_ number: String) throws(NationalServiceError) -> String {
        let number = number.trimmingCharacters(in: .whitespaces).uppercased()
        guard BadgeNumber.isValid(number) else {
            throw .invalid([.init(field: "badgeNumber", message: "A badge number is six characters: digits and the letters A–H, J, K")])
        }
        return number
    }

    private func sendExpectingNoData(_ method: HTTPMethod, _ service: BearerJSONTransport, _ path: String, body: Data?, logger: Logger?)
        async throws
    {
        _ = try await exchange(method, service, path, query: [], body: body, logger: logger)
    }

    private func send<T: Decodable>(
        _ method: HTTPMethod, _ service: BearerJSONTransport, _ path: String, query: [(String, String)] = [], body: Data?,
        logger: Logger?
    ) async throws -> T {
        let data = try await exchange(method, service, path, query: query, body: body, logger: logger)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            logger?.warning(
                "national Blue Badge service sent a response we could not read", metadata: ["kerb.national.path": "\(method) \(path)"])
            throw NationalServiceError.unavailable("it sent a response Kerb could not read")
        }
    }

    /// Sends one request and returns the body of a 2xx response; anything else becomes a
    /// ``NationalServiceError``.
    private func exchange(
        _ method: HTTPMethod, _ service: BearerJSONTransport, _ path: String, query: [(String, String)], body: Data?, logger: Logger?
    ) async throws -> Data {
        let reply: BearerJSONTransport.Reply
        do {
            reply = try await service.send(method, path, query: query, credential: token, body: body, logger: logger)
        } catch let failure as TransportFailure {
            throw NationalServiceError.unavailable(failure.description)
        }
        switch reply.status {
        case 200..<300: return reply.body
        case 401: throw NationalServiceError.unauthorised
        case 403: throw NationalServiceError.forbidden
        case 404: throw NationalServiceError.notFound
        case 400, 409, 422:
            let envelope = try? JSONDecoder().decode(NationalWire.ErrorResponse.self, from: reply.body)
            let fieldErrors = envelope?.error.errors ?? []
            let keys = fieldErrors.compactMap(\.message)
            let message = envelope?.error.message ?? (keys.isEmpty ? "HTTP \(reply.status)" : keys.joined(separator: "; "))
            throw NationalServiceError.rejected(message: String(message.prefix(300)), fields: fieldErrors.compactMap(\.field))
        default:
            throw NationalServiceError.unavailable("HTTP \(reply.status)")
        }
    }
}
