import Foundation
import Hummingbird
import KerbCore

/// JSON in and out of the API: bodies decoded strictly (a malformed body is a 422 problem that
/// says where), responses encoded with sorted keys and ISO-8601 dates.
enum APIJSON {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 256 * 1024)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
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
