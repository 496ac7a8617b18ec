import Foundation
import KerbCore
import KerbPolicies
import Yams

/// Reads policy documents from YAML (files, the bundled defaults) and JSON (stored versions).
/// YAML is loaded into plain values and decoded as JSON with snake_case keys, so both formats
/// share one decoder, and unknown keys (a typo such as `fee_pense`) are refused, not ignored.
public enum PolicyFile {
    public static func parseLocal(yaml: String) throws(PolicyError) -> LocalPolicyDocument {
        try decode(LocalPolicyDocument.self, from: try load(yaml))
    }

    public static func parseLocal(json: String) throws(PolicyError) -> LocalPolicyDocument {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else {
            throw PolicyError.unreadable("not valid JSON")
        }
        return try decode(LocalPolicyDocument.self, from: object)
    }

    public static func parseGuardrails(yaml: String) throws(PolicyError) -> StatutoryGuardrails {
        try decode(StatutoryGuardrails.self, from: try load(yaml))
    }

    /// Canonical JSON for storage: sorted keys, snake_case.
    public static func json(_ document: LocalPolicyDocument) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self)
    }

    /// The default local policy shipped in `policies/default.yaml`.
    public static func bundledDefault() throws(PolicyError) -> LocalPolicyDocument {
        try parseLocal(yaml: try bundledText("default", in: nil))
    }

    /// The guardrails for a nation, from `policies/statutory/<nation>.yaml`.
    public static func bundledGuardrails(_ nation: Nation) throws(PolicyError) -> StatutoryGuardrails {
        let guardrails = try parseGuardrails(yaml: try bundledText(nation.slug, in: "statutory"))
        guard guardrails.nation == nation else {
            throw PolicyError.unreadable("statutory/\(nation.slug).yaml is for \(guardrails.nation.rawValue)")
        }
        return guardrails
    }

    private static func bundledText(_ name: String, in folder: String?) throws(PolicyError) -> String {
        let url = KerbPolicies.bundle.url(forResource: name, withExtension: "yaml", subdirectory: folder)
        guard let url, let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw PolicyError.unreadable("policies/\(folder.map { "\($0)/" } ?? "")\(name).yaml is missing from the bundle")
        }
        return text
    }

    private static func load(_ yaml: String) throws(PolicyError) -> Any {
        do {
            guard let object = try Yams.load(yaml: yaml) else { throw PolicyError.unreadable("the document is empty") }
            return object
        } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError.unreadable("not valid YAML: \(error)".replacingOccurrences(of: "\n", with: " "))
        }
    }

    private static func decode<T: Codable>(_ type: T.Type, from object: Any) throws(PolicyError) -> T {
        guard JSONSerialization.isValidJSONObject(object), let data = try? JSONSerialization.data(withJSONObject: object) else {
            throw PolicyError.unreadable("expected sections of key: value settings")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let value: T
        do {
            value = try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw PolicyError.violations([describe(error)])
        } catch {
            throw PolicyError.unreadable("\(error)")
        }
        // Anything the document says that the model does not know is a mistake, not a comment.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let known = (try? encoder.encode(value)).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        let unknown = unknownKeys(in: object, known: known, path: "")
        guard unknown.isEmpty else {
            throw PolicyError.violations(unknown.map { FieldIssue(field: $0, message: "\($0) is not a policy setting") })
        }
        return value
    }

    private static func unknownKeys(in object: Any, known: Any?, path: String) -> [String] {
        guard let dictionary = object as? [String: Any] else { return [] }
        let knownDictionary = known as? [String: Any] ?? [:]
        return dictionary.keys.sorted().flatMap { key -> [String] in
            let here = path.isEmpty ? key : "\(path).\(key)"
            guard let inner = knownDictionary[key] else { return [here] }
            return unknownKeys(in: dictionary[key]!, known: inner, path: here)
        }
    }

    private static func describe(_ error: DecodingError) -> FieldIssue {
        func path(_ context: DecodingError.Context, _ extra: (any CodingKey)? = nil) -> String {
            (context.codingPath + (extra.map { [$0] } ?? [])).map { snake($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context, key)
            return FieldIssue(field: field, message: "\(field) is missing")
        case .typeMismatch(let type, let context):
            let field = path(context)
            return FieldIssue(
                field: field,
                message: "\(field) must be \(type == Bool.self ? "true or false" : type == Int.self ? "a whole number" : "text")")
        case .valueNotFound(_, let context):
            let field = path(context)
            return FieldIssue(field: field, message: "\(field) needs a value")
        case .dataCorrupted(let context):
            let field = path(context)
            return FieldIssue(field: field, message: "\(field) has a value that is not allowed")
        @unknown default:
            return FieldIssue(field: "", message: "the document could not be read")
        }
    }

    private static func snake(_ key: String) -> String {
        key.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }
}
