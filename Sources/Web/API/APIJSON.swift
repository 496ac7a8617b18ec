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
        if let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let path = firstControlCharacter(in: tree, path: "")
        {
            throw APIBodyError.invalid(
                FieldIssue(field: path.isEmpty ? "body" : path, message: "\(path.isEmpty ? "The body" : path) contains a control character")
            )
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

    /// The path of the first string (or key) holding a character `FormFields` would refuse.
    static func firstControlCharacter(in value: Any, path: String) -> String? {
        switch value {
        case let text as String:
            return text.unicodeScalars.contains(where: FormFields.isForbidden) ? path : nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = firstControlCharacter(in: element, path: "\(path)[\(index)]") { return found }
            }
        case let object as [String: Any]:
            for (key, element) in object {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if key.unicodeScalars.contains(where: FormFields.isForbidden) { return path.isEmpty ? "body" : path }
                if let found = firstControlCharacter(in: element, path: child) { return found }
            }
        default:
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
