import Foundation
import NationalBlueBadge
import Payments

/// The national Blue Badge register over HTTP, for one council (its short code).
public struct NationalRegister: BadgeRegister {
    public let client: NationalBlueBadgeClient
    public let localAuthority: String

    public init(client: NationalBlueBadgeClient, localAuthority: String) {
        self.client = client
        self.localAuthority = localAuthority
    }

    public func order(_ order: BadgeRegisterOrder) async throws -> String {
        let contact = NationalContact(
            fullName: order.holderName, buildingStreet: order.addressLine1, line2: order.addressLine2.isEmpty ? nil : order.addressLine2,
            townCity: order.town.isEmpty ? "-" : order.town, postCode: order.postcode, primaryPhoneNumber: order.phone,
            emailAddress: order.email)
        // Kerb does not ask for gender; the register's code for "not given" is UNSPECIFIE.
        let party =
            order.organisation
            ? NationalParty(typeCode: "ORG", contact: contact, organisation: NationalOrganisation(badgeHolderName: order.holderName))
            : NationalParty(
                typeCode: "PERSON", contact: contact,
                person: NationalPerson(
                    badgeHolderName: order.holderName, nino: order.nino, dob: order.dateOfBirth?.iso ?? "", genderCode: "UNSPECIFIE"))
        return try await client.orderBadge(
            BadgeOrder(
                party: party, localAuthorityShortCode: localAuthority, localAuthorityRef: order.applicationReference,
                applicationDate: order.applicationDate.iso, applicationChannelCode: order.channel.rawValue, startDate: order.start.iso,
                expiryDate: order.expiry.iso, eligibilityCode: order.eligibility?.rawValue ?? "", deliverToCode: order.deliverTo.rawValue,
                deliveryOptionCode: order.option.rawValue))
    }

    public func cancel(number: String, reason: CancelReason) async throws {
        try await client.cancelBadge(number: number, reason: reason.rawValue)
    }

    public func replace(number: String, reason: ReplacementReason, deliverTo: DeliverTo, option: DeliveryOption) async throws -> String {
        try await client.replaceBadge(
            number: number, reason: reason.rawValue, deliverTo: deliverTo.rawValue, deliveryOption: option.rawValue)
    }
}

/// GOV.UK Pay, bound to one council's API key.
public struct GovUKPayGateway: FeeGateway {
    public let client: GovUKPayClient
    let apiKey: String

    public init(client: GovUKPayClient, apiKey: String) {
        self.client = client
        self.apiKey = apiKey
    }

    public func create(amountPence: Int, reference: String, description: String, returnURL: String) async throws -> FeePayment {
        Self.fee(
            try await client.createPayment(
                apiKey: apiKey,
                CreatePayment(amountPence: amountPence, reference: reference, description: description, returnURL: returnURL)))
    }

    public func payment(id: String) async throws -> FeePayment {
        Self.fee(try await client.payment(apiKey: apiKey, id: id))
    }

    static func fee(_ payment: Payment) -> FeePayment {
        FeePayment(
            id: payment.id, status: payment.status.rawValue, finished: payment.finished, failureCode: payment.failureCode,
            nextURL: payment.nextURL)
    }
}
