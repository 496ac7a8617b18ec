import Foundation
import Hummingbird
import KerbCore

/// What Kerb checks of a JSON body before the generated code decodes it: its size, that no string
/// holds a control character, and each string's length (`FieldLimits.api`, which a test holds to
/// the document's `maxLength`; the generator does not check lengths itself). Decoding failures of
/// the generated code come back here to be named field by field.
enum APIJSON {
    static let maxBytes = 256 * 1024

    /// Refuses a body with a control character in any string or key (PostgreSQL cannot store NUL;
    /// no field wants the rest), or a string longer than its property's limit. A body that is not
    /// JSON at all is left to the decoder, which names the problem.
    static func screen(_ data: Data) throws {
        guard let tree = try? JSONDecoder().decode(JSONValue.self, from: data) else { return }
        if let path = firstControlCharacter(in: tree, path: "") {
            throw APIBodyError.invalid(
                FieldIssue(field: path.isEmpty ? "body" : path, message: "\(path.isEmpty ? "The body" : path) contains a control character")
            )
        }
        var issues: [FieldIssue] = []
        tooLong(tree, key: nil, path: "", into: &issues)
        if !issues.isEmpty { throw TextTooLong(issues: issues) }
    }

    /// The field a decoding failure names, as a 422 problem says it.
    static func issue(for error: DecodingError) -> FieldIssue {
        switch error {
        case .keyNotFound(let key, let context):
            let field = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return FieldIssue(field: field, message: "\(field) is required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return FieldIssue(field: field.isEmpty ? "body" : field, message: "\(field.isEmpty ? "The body" : field) has the wrong type")
        case .dataCorrupted(let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty
                ? FieldIssue(field: "body", message: "The body is not valid JSON for this request")
                : FieldIssue(field: field, message: "\(field) is not one of the values the API document lists")
        @unknown default:
            return FieldIssue(field: "body", message: "The body is not valid JSON for this request")
        }
    }

    /// `application/json` or a `+json` type, with or without parameters.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = (contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// Every string longer than its property's limit (`FieldLimits.api`; an array's elements
    /// take the array's), as the OpenAPI document's `maxLength` says.
    static func tooLong(_ value: JSONValue, key: String?, path: String, into issues: inout [FieldIssue]) {
        switch value {
        case .string(let text):
            let limit = key.map(FieldLimits.api) ?? FieldLimits.fallback
            if text.unicodeScalars.count > limit { issues.append(TextTooLong.issue(path.isEmpty ? "body" : path, limit)) }
        case .array(let array):
            for (index, element) in array.enumerated() { tooLong(element, key: key, path: "\(path)[\(index)]", into: &issues) }
        case .object(let object):
            for (name, element) in object { tooLong(element, key: name, path: path.isEmpty ? name : "\(path).\(name)", into: &issues) }
        case .other:
            break
        }
    }

    /// The path of the first string (or key) holding a character `FormFields` would refuse.
    static func firstControlCharacter(in value: JSONValue, path: String) -> String? {
        switch value {
        case .string(let text):
            return text.unicodeScalars.contains(where: FormFields.isForbidden) ? path : nil
        case .array(let array):
            for (index, element) in array.enumerated() {
                if let found = firstControlCharacter(in: element, path: "\(path)[\(index)]") { return found }
            }
        case .object(let object):
            for (key, element) in object {
                if key.unicodeScalars.contains(where: FormFields.isForbidden) { return path.isEmpty ? "body" : path }
                if let found = firstControlCharacter(in: element, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        case .other:
            break
        }
        return nil
    }
}

/// Any JSON document, as far as the checks above need to see into it.
enum JSONValue: Decodable {
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// Numbers, booleans and null: nothing to check.
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else if let object = try? container.decode([String: JSONValue].self) {
            self = .object(object)
        } else {
            self = .other
        }
    }
}

/// A request body the API cannot use.
enum APIBodyError: KerbError {
    case invalid(FieldIssue)

    var kind: KerbErrorKind {
        switch self {
        case .invalid(let issue): .invalid([issue])
        }
    }
    var code: String { "api.invalid-body" }
    var publicDetail: String {
        switch self {
        case .invalid(let issue): issue.message
        }
    }
}
