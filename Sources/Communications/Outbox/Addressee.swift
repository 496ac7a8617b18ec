import Foundation
import Notify

/// Who a message is for and how they can be reached, as held on their record when it is written.
public struct Addressee: Sendable, Equatable {
    public var name: String
    public var preferred: NotifyChannel
    public var email: String?
    public var phone: String?
    /// Address lines after the name, the postcode last; empty when none is held.
    public var postal: [String]

    public init(name: String, preferred: NotifyChannel, email: String? = nil, phone: String? = nil, postal: [String] = []) {
        self.name = name
        self.preferred = preferred
        self.email = email?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        self.phone = phone?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        self.postal = postal
    }

    /// How one message of `kind` reaches this person.
    public struct Route: Sendable, Equatable {
        public let channel: NotifyChannel
        /// The email address, the mobile number, or the address lines (the name first), as sent.
        public let recipient: String
        /// Why it waits for a person instead of the dispatcher (no address to send to), or nil.
        public let held: String?
    }

    /// The person's preference when the kind may go that way and the details are held; otherwise
    /// a letter (no email address → letter); otherwise email; otherwise a letter held for someone
    /// to address and post by hand.
    public func route(for kind: MessageKind) -> Route {
        var order = [preferred, .letter, .email]
        order.removeAll { !kind.channels.contains($0) }
        for channel in order {
            switch channel {
            case .email: if let email { return Route(channel: .email, recipient: email, held: nil) }
            case .sms: if let phone { return Route(channel: .sms, recipient: phone, held: nil) }
            case .letter:
                if let address = try? PostalAddress(lines: [name] + postal) {
                    return Route(channel: .letter, recipient: address.lines.joined(separator: "\n"), held: nil)
                }
            }
        }
        let fallback = kind.channels.first ?? .letter
        return Route(
            channel: fallback, recipient: name,
            held: fallback == .letter
                ? "Kerb holds no postal address it can send to: print this letter and post it by hand"
                : "Kerb holds no email address for this person")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
