import Communications
import Foundation
import Logging
import Notify
import Policy
import PostgresNIO

/// Messages about a case: the facts every message may quote, the council's policy figures, the
/// applicant's way of being reached, and the entry on the case's timeline, all written to the
/// outbox in the caller's transaction (so a decision and its letter commit together).
struct CaseLetters: Sendable {
    let outbox: Outbox

    /// The applicant's details as a message needs them.
    struct Facts: Decodable {
        let council: String
        let personID: UUID
        let applicant: String
        let preferred: String
        let email: String?
        let phone: String?
        let address: [String]
        let reference: String
        let received: Date?
    }

    static func facts(_ conn: PostgresConnection, _ id: UUID, _ logger: Logger) async throws -> Facts {
        for try await row in try await conn.query(
            """
            SELECT (SELECT display_name FROM profile), p.id, p.full_name, p.preferred_channel, p.email, p.phone,
                ARRAY[p.address_line1, p.address_line2, p.town, p.postcode], a.reference, a.received_at
            FROM applications a JOIN people p ON p.id = a.person_id WHERE a.id = \(id)
            """, logger: logger
        ).decode((String, UUID, String, String, String?, String?, [String], String, Date?).self) {
            return Facts(
                council: row.0, personID: row.1, applicant: row.2, preferred: row.3, email: row.4, phone: row.5, address: row.6,
                reference: row.7, received: row.8)
        }
        throw CaseworkError.noSuchCase
    }

    /// The personalisation of a message about the case: the common facts and the step's own.
    static func personalisation(_ facts: Facts, policy: LocalPolicyDocument, now: Date, extra: [String: any Sendable]) -> [String:
        NotifyValue]
    {
        var values: [String: any Sendable] = [
            "council": facts.council, "applicant": facts.applicant, "reference": facts.reference, "date": CaseService.longDate(now),
            "received": facts.received.map(CaseService.longDate) ?? "", "targetDays": policy.casework.processingTargetDays,
            "reviewDays": policy.casework.reviewResponseWorkingDays, "feeDue": policy.badge.feePence > 0,
            "fee": String(format: "£%d.%02d", policy.badge.feePence / 100, policy.badge.feePence % 100), "copyNote": "",
        ]
        values.merge(extra) { $1 }
        if let replaces = values.removeValue(forKey: "replaces") as? String {
            values["replacesNote"] =
                replaces.isEmpty
                ? ""
                : "This badge replaces badge \(replaces), which can no longer be used. If you find the old badge, please return it to us.\n"
        }
        return notifyValues(values)
    }

    /// Swift values as Notify personalisation; every yes/no `x` also as its opposite `notX`.
    static func notifyValues(_ values: [String: any Sendable]) -> [String: NotifyValue] {
        var out: [String: NotifyValue] = [:]
        for (name, value) in values {
            switch value {
            case let flag as Bool:
                out[name] = .flag(flag)
                out["not" + name.prefix(1).uppercased() + name.dropFirst()] = .flag(!flag)
            case let list as [String]: out[name] = .list(list)
            case let text as String: out[name] = .text(text)
            default: out[name] = .text("\(value)")
            }
        }
        return out
    }

    /// Writes the message to the applicant (by their preferred channel, with the fallback) and a
    /// copy to whoever acts for them and may receive letters, each on the timeline.
    func record(
        _ kind: MessageKind, _ conn: PostgresConnection, _ id: UUID, _ officer: Officer, _ extra: [String: any Sendable], now: Date,
        _ logger: Logger
    ) async throws {
        let facts = try await Self.facts(conn, id, logger)
        let policy = try await LocalPolicyStore.inForce(on: conn, logger: logger)
        let values = Self.personalisation(facts, policy: policy, now: now, extra: extra)
        let applicant = Addressee(
            name: facts.applicant, preferred: NotifyChannel(rawValue: facts.preferred) ?? .letter, email: facts.email, phone: facts.phone,
            postal: facts.address)
        let about = Outbox.About(applicationID: id, personID: facts.personID)
        let sent = try await outbox.enqueue(
            kind, to: applicant, about: about, personalisation: values, by: officer.id, at: now, on: conn, logger: logger)
        try await CaseService.event(conn, id, officer, "letter", "\(kind.title) by \(sent.channel.label)", logger)
        for representative in try await CaseService.representatives(conn, applicationID: id, logger) where representative.mayReceive {
            var copy = values
            copy["applicant"] = .text(representative.fullName)
            copy["copyNote"] = .text("We are sending you this because you act for \(facts.applicant).\n")
            // Kerb holds a representative's contact as free text: an email address is used, anything
            // else leaves the copy for someone to address and post.
            let contact = representative.contact.trimmingCharacters(in: .whitespaces)
            let email = contact.contains("@") && !contact.contains(" ") ? contact : nil
            let addressee = Addressee(name: representative.fullName, preferred: email == nil ? .letter : .email, email: email)
            let copySent = try await outbox.enqueue(
                kind, to: addressee, about: about, personalisation: copy, by: officer.id, at: now, on: conn, logger: logger)
            try await CaseService.event(
                conn, id, officer, "letter",
                "\(kind.title), copy to \(representative.fullName) (\(representative.relationship.label.lowercased()), \(copySent.channel.label))",
                logger)
        }
    }
}

extension NotifyChannel {
    /// How the case page names the channel.
    public var label: String {
        switch self {
        case .letter: "letter"
        case .email: "email"
        case .sms: "text message"
        }
    }
}
