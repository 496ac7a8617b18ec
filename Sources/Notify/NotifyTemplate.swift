import Foundation

/// A value of a template's personalisation, as GOV.UK Notify accepts them in JSON: text (numbers
/// are sent as text), a yes/no flag for conditional content, or a list shown as bullet points.
public enum NotifyValue: Sendable, Hashable, Codable {
    case text(String)
    case flag(Bool)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Double.self) {
            self = .text(number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number))
        } else if let list = try? container.decode([String].self) {
            self = .list(list)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "personalisation values are text, numbers, true/false or lists of text")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .flag(let flag): try container.encode(flag)
        case .list(let list): try container.encode(list)
        }
    }

    /// Whether conditional content `((name??text))` shows: Notify shows it for `yes` or `true`.
    var isYes: Bool {
        switch self {
        case .flag(let flag): flag
        case .text(let text): ["yes", "true"].contains(text.trimmingCharacters(in: .whitespaces).lowercased())
        case .list(let list): !list.isEmpty
        }
    }

    /// The value as it appears in place of `((name))`.
    func rendered(asList bullet: Bool) -> String {
        switch self {
        case .text(let text): text
        case .flag(let flag): flag ? "yes" : "no"
        case .list(let items):
            bullet ? items.map { "* " + $0 }.joined(separator: "\n") : items.joined(separator: ", ")
        }
    }
}

/// A GOV.UK Notify template's text, in Notify's own syntax: `((name))` is replaced by the
/// personalisation `name`, `((name??text))` shows `text` only when `name` is yes or true.
/// Names match as Notify matches them: case, spaces, hyphens and underscores are ignored.
///
/// Kerb renders with the same rules Notify does, so the copy kept on the case is what the person
/// receives, and the contract fake validates personalisation with this type too.
public struct NotifyTemplate: Sendable, Hashable {
    public let body: String
    public let subject: String

    public init(body: String, subject: String = "") {
        self.body = body
        self.subject = subject
    }

    /// One piece of a template: literal text, a placeholder, or conditional content.
    enum Part: Hashable {
        case literal(Substring)
        case placeholder(String)
        case conditional(String, Substring)
    }

    /// The names the subject and body need, in order of first use, as written.
    public var placeholders: [String] {
        var seen: Set<String> = []
        var names: [String] = []
        for part in Self.parts(of: subject) + Self.parts(of: body) {
            let name: String
            switch part {
            case .literal: continue
            case .placeholder(let written), .conditional(let written, _): name = written
            }
            if seen.insert(Self.key(name)).inserted { names.append(name) }
        }
        return names
    }

    /// The placeholders `personalisation` does not supply (Notify's "Missing personalisation").
    public func missing(from personalisation: [String: NotifyValue]) -> [String] {
        let given = Set(personalisation.keys.map(Self.key))
        return placeholders.filter { !given.contains(Self.key($0)) }
    }

    /// The subject and body with every placeholder filled in; throws if any is missing.
    /// Lists become bullet points (`* item` lines), except in text messages, where they are joined.
    public func render(_ personalisation: [String: NotifyValue], bullets: Bool = true) throws(NotifyTemplateError) -> (
        subject: String, body: String
    ) {
        let missing = missing(from: personalisation)
        guard missing.isEmpty else { throw .missingPersonalisation(missing) }
        var values: [String: NotifyValue] = [:]
        for (name, value) in personalisation { values[Self.key(name)] = value }
        return (Self.fill(subject, values, bullets: false), Self.fill(body, values, bullets: bullets))
    }

    static func fill(_ text: String, _ values: [String: NotifyValue], bullets: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 64)
        for part in parts(of: text) {
            switch part {
            case .literal(let literal): out += literal
            case .placeholder(let name):
                guard let value = values[key(name)] else { continue }
                if bullets, case .list = value, !out.isEmpty, !out.hasSuffix("\n") { out += "\n" }
                out += value.rendered(asList: bullets)
            case .conditional(let name, let shown):
                if values[key(name)]?.isYes == true { out += shown }
            }
        }
        return out
    }

    /// Notify's matching of names: without case, spaces, hyphens or underscores.
    public static func key(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !" \t-_".unicodeScalars.contains($0) }.map(Character.init))
    }

    /// Splits `text` at `((…))` markers. Text between the markers holds no parentheses, as in
    /// Notify; anything else (a lone `((`, `(( ))`) stays literal text.
    static func parts(of text: String) -> [Part] {
        var parts: [Part] = []
        let utf8 = text.utf8
        var literalStart = utf8.startIndex
        var index = utf8.startIndex
        let open = UInt8(ascii: "("), close = UInt8(ascii: ")")
        while index < utf8.endIndex {
            guard utf8[index] == open, let second = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), second < utf8.endIndex,
                utf8[second] == open
            else {
                index = utf8.index(after: index)
                continue
            }
            let contentStart = utf8.index(after: second)
            var end = contentStart
            while end < utf8.endIndex, utf8[end] != open, utf8[end] != close { end = utf8.index(after: end) }
            let closes =
                end < utf8.endIndex && utf8[end] == close && utf8.index(after: end) < utf8.endIndex && utf8[utf8.index(after: end)] == close
            let content = text[contentStart..<end]
            guard closes, !content.trimmingCharacters(in: .whitespaces).isEmpty else {
                index = utf8.index(after: index)
                continue
            }
            if literalStart < index { parts.append(.literal(text[literalStart..<index])) }
            if let marker = content.range(of: "??") {
                let name = content[..<marker.lowerBound].trimmingCharacters(in: .whitespaces)
                parts.append(.conditional(name, content[marker.upperBound...]))
            } else {
                parts.append(.placeholder(content.trimmingCharacters(in: .whitespaces)))
            }
            index = utf8.index(end, offsetBy: 2)
            literalStart = index
        }
        if literalStart < utf8.endIndex { parts.append(.literal(text[literalStart...])) }
        return parts
    }
}

public enum NotifyTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The personalisation lacks these placeholders (as written in the template).
    case missingPersonalisation([String])

    public var description: String {
        switch self {
        case .missingPersonalisation(let names): "Missing personalisation: " + names.joined(separator: ", ")
        }
    }
}
