import Casework
import Communications
import KerbCore
import Notify
import Tenancy

/// A council's connections to the national services it uses, resolved per request from the
/// tenant (each council has its own GOV.UK Pay account and national register code). Nil means
/// the service is not configured for that council; pages say so instead of failing.
public struct ExternalServices: Sendable {
    /// The national Blue Badge service (applications to import, the badge register).
    public var national: @Sendable (Tenant) -> NationalRegister?
    public var feeGateway: @Sendable (Tenant) -> (any FeeGateway)?
    /// GOV.UK Notify: the client, and each council's service (its key and carrier templates);
    /// nil where no council sends through Notify (messages then wait in the outbox).
    public var notify: NotifyWiring?

    public init(
        national: @escaping @Sendable (Tenant) -> NationalRegister?, feeGateway: @escaping @Sendable (Tenant) -> (any FeeGateway)?,
        notify: NotifyWiring? = nil
    ) {
        self.national = national
        self.feeGateway = feeGateway
        self.notify = notify
    }

    public func register(_ tenant: Tenant) -> (any BadgeRegister)? { national(tenant) }

    public static let none = ExternalServices(national: { _ in nil }, feeGateway: { _ in nil })
}

/// How Kerb reaches GOV.UK Notify: one client, and each council's own service.
public struct NotifyWiring: Sendable {
    public let client: GovUKNotifyClient
    public let service: @Sendable (Tenant) -> NotifyService?

    public init(client: GovUKNotifyClient, service: @escaping @Sendable (Tenant) -> NotifyService?) {
        self.client = client
        self.service = service
    }
}

public enum IntegrationError: KerbError {
    case notConfigured(String)

    /// 409, not 503: the service is up; this council's connection is simply not set up, and a
    /// 503 would tell load balancers and monitoring the whole service is down.
    public var kind: KerbErrorKind { .conflict }
    public var code: String { "integration.not-configured" }
    public var publicDetail: String {
        switch self {
        case .notConfigured(let service): "\(service) is not set up for this council yet: ask your supplier"
        }
    }
}
