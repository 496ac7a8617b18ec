import Foundation
import Hummingbird
import KerbCore

/// JSON in and out of the API: bodies decoded strictly (a malformed body is a 422 problem that
/// says where), responses encoded with sorted keys and ISO-8601 dates.
enum APIJSON {
    static let maxBytes = 256 * 1024

    /// Decodes a JSON body: `application/json` only (415 otherwise), at most `maxBytes` (413), no
    /// control characters in any string (PostgreSQL cannot store NUL; no field wants the rest).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        guard isJSON(request.headers[.contentType]) else { throw MalformedRequest.notJSON }
        var request = request
        let buffer = try await request.collectBody(upTo: maxBytes)
        let data = Data(buffer.readableBytesView)
        // Read once as plain JSON to check every string, whatever type the route decodes to.
        if let tree = try? JSONDecoder().decode(JSONValue.self, from: data) {
            if let path = firstControlCharacter(in: tree, path: "") {
                throw APIBodyError.invalid(
                    FieldIssue(
                        field: path.isEmpty ? "body" : path, message: "\(path.isEmpty ? "The body" : path) contains a control character"))
            }
            var issues: [FieldIssue] = []
            tooLong(tree, key: nil, path: "", into: &issues)
            if !issues.isEmpty { throw TextTooLong(issues: issues) }
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIBodyError.invalid(FieldIssue(field: key.stringValue, message: "\(key.stringValue) is required"))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIBodyError.invalid(FieldIssue(field: field, message: "\(field) has the wrong type"))
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIBodyError.invalid(
                FieldIssue(field: field.isEmpty ? "body" : field, message: "The body is not valid JSON for this request"))
        } catch {
            throw APIBodyError.invalid(FieldIssue(field: "body", message: "The body is not valid JSON for this request"))
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

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
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
