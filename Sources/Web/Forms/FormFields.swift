import Foundation
import Hummingbird
import KerbCore

/// An `application/x-www-form-urlencoded` body, parsed by a parser that cannot trap.
///
/// Browsers encode every byte that matters, but scripts and broken clients send raw spaces, `#`,
/// a lone `%` or bytes that are not UTF-8. Foundation's `URLComponents` traps on some of these,
/// which once let one anonymous request stop the server for every council. This parser reads the
/// bytes itself (WHATWG's algorithm: split on `&`, then on the first `=`, `+` is a space, `%XX`
/// a byte) and answers anything it cannot read with `MalformedRequest` (400), before any handler
/// or query sees it. Control characters other than tab, CR and LF are refused too: PostgreSQL
/// cannot store NUL, and none of Kerb's fields wants the rest.
struct FormFields: Sendable {
    private let pairs: [(String, String)]

    static let maxBytes = 64 * 1024
    /// More fields than any of Kerb's forms has (the policy form is the largest, at about 40).
    static let maxFields = 400

    init(pairs: [(String, String)]) { self.pairs = pairs }

    /// Parses a body; throws `MalformedRequest` for anything a browser would not have sent.
    init(parsing body: some Collection<UInt8>) throws(MalformedRequest) {
        var pairs: [(String, String)] = []
        for part in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard pairs.count < Self.maxFields else { throw .tooManyFields }
            let name: ArraySlice<UInt8>
            let value: ArraySlice<UInt8>
            let bytes = ArraySlice(part)
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                name = bytes[bytes.startIndex..<equals]
                value = bytes[(equals + 1)...]
            } else {
                name = bytes
                value = []
            }
            pairs.append((try Self.decode(name), try Self.decode(value)))
        }
        self.pairs = pairs
    }

    /// Percent-decodes one name or value and checks it is text Kerb can store.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(MalformedRequest) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard bytes.endIndex - index >= 3,
                    let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { throw .badEscape }
                out.append(high << 4 | low)
                index += 3
            default:
                out.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .notUTF8 }
        guard !text.unicodeScalars.contains(where: isForbidden) else { throw .controlCharacter }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// C0 controls but tab, CR and LF; DEL and the C1 controls.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }

    /// Reads the request's form: only `application/x-www-form-urlencoded` (415 otherwise), at most
    /// `maxBytes` (413), parsed as above (400). The body is collected into the request, so the
    /// session middleware's CSRF check and the handler read the same bytes.
    static func read(_ request: inout Request) async throws -> FormFields {
        guard isForm(request.headers[.contentType]) else { throw MalformedRequest.notAForm }
        let buffer = try await request.collectBody(upTo: maxBytes)
        let form = try FormFields(parsing: buffer.readableBytesView)
        try form.checkLengths()
        return form
    }

    /// Every value within its field's limit (`FieldLimits`, the same number the page's
    /// `maxlength` shows): a longer one is refused with 422, naming the field, before any handler.
    func checkLengths() throws(TextTooLong) {
        let issues = pairs.compactMap { name, value -> FieldIssue? in
            let limit = FieldLimits.form(name)
            return value.unicodeScalars.count > limit ? TextTooLong.issue(name, limit) : nil
        }
        if !issues.isEmpty { throw TextTooLong(issues: issues) }
    }

    /// True for `application/x-www-form-urlencoded`, with or without parameters (`; charset=UTF-8`).
    static func isForm(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/x-www-form-urlencoded"
    }

    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Trimmed, or "" when absent.
    func text(_ name: String) -> String { (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Every value of a repeated field (checkboxes).
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}

/// Text longer than its field takes (422, each field named with its limit).
struct TextTooLong: KerbError {
    let issues: [FieldIssue]
    var kind: KerbErrorKind { .invalid(issues) }
    var code: String { "web.text-too-long" }
    var publicDetail: String { issues.map(\.message).joined(separator: "; ") }

    static func issue(_ field: String, _ limit: Int) -> FieldIssue {
        FieldIssue(field: field, message: "\(field) must be \(limit) characters or fewer")
    }
}

/// A request Kerb cannot read: the page or problem says so plainly, and nothing changes.
enum MalformedRequest: KerbError, Equatable {
    case notAForm
    case badEscape
    case notUTF8
    case controlCharacter
    case tooManyFields
    case notJSON
    case badHost
    /// A file upload that is not well-formed multipart/form-data, or whose fields before the
    /// file are too long or too many.
    case badMultipart

    var kind: KerbErrorKind {
        switch self {
        case .notAForm, .notJSON: .unsupportedMediaType
        default: .malformed
        }
    }

    var code: String {
        switch self {
        case .notAForm, .notJSON: "web.unsupported-media-type"
        case .badEscape: "web.malformed-form"
        case .notUTF8: "web.not-utf8"
        case .controlCharacter: "web.control-character"
        case .tooManyFields: "web.too-many-fields"
        case .badHost: "web.bad-host"
        case .badMultipart: "web.bad-upload"
        }
    }

    var publicDetail: String {
        switch self {
        case .notAForm: "This page takes a form (application/x-www-form-urlencoded). Go back, reload the page and try again."
        case .notJSON: "The API takes JSON bodies only: send Content-Type: application/json."
        case .badEscape: "The form could not be read: it contains a '%' that does not start an escape. Reload the page and try again."
        case .notUTF8: "The form could not be read: it is not UTF-8 text. Reload the page and try again."
        case .controlCharacter: "The form contains a control character (such as NUL) that no field accepts. Remove it and try again."
        case .tooManyFields: "The form has more fields than any Kerb form. Reload the page and try again."
        case .badHost: "The Host header is not a valid host name."
        case .badMultipart: "The upload could not be read. Go back, choose the file again and send the form once more."
        }
    }
}
