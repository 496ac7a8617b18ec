import Foundation

/// What casework needs from the national Blue Badge register: ordering, cancelling and
/// replacing badges. The national service numbers badges, so a badge exists here only once the
/// register has accepted it. `NationalRegister` is the real one (over HTTP); casework states the
/// scheme's rules in its own terms and stays readable without the wire format.
public protocol BadgeRegister: Sendable {
    /// Orders one badge for a person; returns its number.
    func order(_ order: BadgeRegisterOrder) async throws -> String
    func cancel(number: String, reason: CancelReason) async throws
    /// Replaces an issued badge: the register numbers a new one with the old expiry date.
    func replace(number: String, reason: ReplacementReason, deliverTo: DeliverTo, option: DeliveryOption) async throws -> String
}

/// A badge order as the register needs it: the holder, the application it came from (our
/// reference, kept by the register as the council's own reference) and the badge's terms.
public struct BadgeRegisterOrder: Sendable, Equatable {
    public var applicationReference: String
    public var holderName: String
    public var dateOfBirth: Day?
    public var nino: String?
    public var addressLine1: String
    public var addressLine2: String
    public var town: String
    public var postcode: String
    public var phone: String
    public var email: String?
    public var applicationDate: Day
    public var channel: Channel
    /// Nil for an organisation, which has no personal criterion.
    public var eligibility: Eligibility?
    /// The badge is for an organisation's vehicles, not a person.
    public var organisation: Bool
    public var start: Day
    public var expiry: Day
    public var deliverTo: DeliverTo
    public var option: DeliveryOption
}

/// The badge fee's payment provider (GOV.UK Pay), bound to one council's account.
public protocol FeeGateway: Sendable {
    func create(amountPence: Int, reference: String, description: String, returnURL: String) async throws -> FeePayment
    func payment(id: String) async throws -> FeePayment
}

/// A payment as the provider reports it. Statuses are GOV.UK Pay's.
public struct FeePayment: Sendable, Equatable {
    public var id: String
    public var status: String
    public var finished: Bool
    public var failureCode: String?
    public var nextURL: String?

    public init(id: String, status: String, finished: Bool, failureCode: String?, nextURL: String?) {
        self.id = id
        self.status = status
        self.finished = finished
        self.failureCode = failureCode
        self.nextURL = nextURL
    }
}
