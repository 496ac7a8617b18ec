import Foundation
import Hummingbird
import KerbCore

/// How a page's form reaches its handler as a type: `request.decode(as: DecisionForm.self,
/// context:)`. The body is first read by `FormFields` (415 for another media type, 413 past its
/// size, 400 for bytes a browser would not send, 422 for a value past its field's limit), then
/// decoded by Hummingbird's `URLEncodedFormDecoder` into the form's type; a value the type cannot
/// take (an unknown choice, a missing field) is a 422 naming the field. Each form's field names
/// live once, in its type's `CodingKeys`, and the page that renders it.
public struct PageFormDecoder: RequestDecoder {
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let form = try await FormFields.read(&request)
        let body = try await request.collectBody(upTo: FormFields.maxBytes)
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body))
        } catch let error as DecodingError {
            throw FormInputError(issue: APIJSON.issue(for: error), form: form)
        } catch {
            // The decoder's own refusals (a repeated field, a malformed `name[]`): not a form a
            // page of Kerb's sends.
            throw MalformedRequest.badEscape
        }
    }
}

/// A form value its type cannot take: 422, naming the field.
struct FormInputError: KerbError {
    let issue: FieldIssue
    let form: FormFields
    var kind: KerbErrorKind { .invalid([issue]) }
    var code: String { "web.invalid-form" }
    var publicDetail: String { issue.message }
}

/// Free text as typed, without the spaces around it; absent is empty.
@propertyWrapper struct Trimmed: Decodable, Sendable, Equatable {
    var wrappedValue: String

    init(wrappedValue: String = "") { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(String.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A checkbox: ticked when the form carries it with any value (Kerb's send `yes`).
@propertyWrapper struct Ticked: Decodable, Sendable, Equatable {
    var wrappedValue: Bool

    init(wrappedValue: Bool = false) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        wrappedValue = !(try decoder.singleValueContainer().decode(String.self)).isEmpty
    }
}

/// A choice from a `<select>` whose first option is empty ("Not a replacement"): empty is no
/// choice; anything else must be one of the type's values.
@propertyWrapper struct Choice<Value: RawRepresentable & Decodable & Sendable>: Decodable, Sendable where Value.RawValue == String {
    var wrappedValue: Value?

    init(wrappedValue: Value? = nil) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if text.isEmpty {
            wrappedValue = nil
        } else if let value = Value(rawValue: text) {
            wrappedValue = value
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not one of the choices")
        }
    }
}

/// An absent field takes the wrapper's empty value instead of failing the whole form.
extension KeyedDecodingContainer {
    func decode(_ type: Trimmed.Type, forKey key: Key) throws -> Trimmed {
        try decodeIfPresent(type, forKey: key) ?? Trimmed()
    }

    func decode(_ type: Ticked.Type, forKey key: Key) throws -> Ticked {
        try decodeIfPresent(type, forKey: key) ?? Ticked()
    }

    func decode<Value>(_ type: Choice<Value>.Type, forKey key: Key) throws -> Choice<Value> {
        try decodeIfPresent(type, forKey: key) ?? Choice()
    }
}
