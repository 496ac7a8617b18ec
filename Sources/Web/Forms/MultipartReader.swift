import Foundation

/// A streaming reader of `multipart/form-data` (RFC 7578): bytes in as they arrive, parts out as
/// events, with the part headers bounded and checked, and nothing held but a part's headers and
/// a delimiter's length of body.
///
/// Written here because MultipartKit 4.7.1's parser (the version available) traps on a header
/// name byte above 0x7F, which a client controls (found by `UploadFuzzTests`); every input here
/// ends in an event or a `Malformed` error.
struct MultipartReader {
    enum Event: Equatable {
        /// A part begins: its `name` and, for a file, its `filename`.
        case part(name: String, fileName: String?)
        case data(Data)
        case partEnd
    }

    struct Malformed: Error, Equatable {}

    /// The most a part's header block may take.
    static let maxHeaderBytes = 8 * 1024

    private enum State { case preamble, headers, body, done }

    private let openingDelimiter: Data
    private let delimiter: Data
    private var state = State.preamble
    private var buffer = Data()

    init(boundary: String) {
        openingDelimiter = Data("--\(boundary)".utf8)
        delimiter = Data("\r\n--\(boundary)".utf8)
    }

    var isDone: Bool { state == .done }

    /// The events `bytes` completes. Body bytes are released as soon as they cannot be the
    /// start of a delimiter.
    mutating func feed(_ bytes: Data) throws(Malformed) -> [Event] {
        buffer.append(bytes)
        var events: [Event] = []
        while true {
            switch state {
            case .done:
                buffer.removeAll()
                return events
            case .preamble:
                // The body starts with the first delimiter (a preamble before it is ignored, bounded).
                guard let found = buffer.range(of: openingDelimiter) else {
                    guard buffer.count <= Self.maxHeaderBytes else { throw Malformed() }
                    return events
                }
                guard let after = try afterDelimiter(from: found.upperBound) else { return events }
                buffer = Data(buffer[after...])
            case .headers:
                guard let end = buffer.range(of: Data("\r\n\r\n".utf8)) else {
                    guard buffer.count <= Self.maxHeaderBytes else { throw Malformed() }
                    return events
                }
                guard end.lowerBound - buffer.startIndex <= Self.maxHeaderBytes else { throw Malformed() }
                events.append(try Self.part(headers: buffer[buffer.startIndex..<end.lowerBound]))
                buffer = Data(buffer[end.upperBound...])
                state = .body
            case .body:
                if let found = buffer.range(of: delimiter) {
                    let data = Data(buffer[buffer.startIndex..<found.lowerBound])
                    guard let after = try afterDelimiter(from: found.upperBound) else {
                        // The delimiter's ending has not arrived: release what comes before it.
                        if !data.isEmpty { events.append(.data(data)) }
                        buffer = Data(buffer[found.lowerBound...])
                        return events
                    }
                    if !data.isEmpty { events.append(.data(data)) }
                    events.append(.partEnd)
                    buffer = Data(buffer[after...])
                } else {
                    let keep = delimiter.count - 1
                    if buffer.count > keep {
                        let split = buffer.endIndex - keep
                        events.append(.data(Data(buffer[buffer.startIndex..<split])))
                        buffer = Data(buffer[split...])
                    }
                    return events
                }
            }
        }
    }

    /// After a delimiter: `--` ends the body, CRLF starts a part's headers; nil until known.
    private mutating func afterDelimiter(from index: Data.Index) throws(Malformed) -> Data.Index? {
        guard buffer.endIndex - index >= 2 else { return nil }
        let two = buffer[index..<index + 2]
        if two.elementsEqual("--".utf8) {
            state = .done
            return buffer.endIndex
        }
        guard two.elementsEqual("\r\n".utf8) else { throw Malformed() }
        state = .headers
        return index + 2
    }

    /// A part's headers: only `Content-Disposition: form-data; name="…"[; filename="…"]` is
    /// read; every header must be a token, a colon and text without control characters.
    static func part(headers block: Data) throws(Malformed) -> Event {
        guard let text = String(data: block, encoding: .utf8) else { throw Malformed() }
        var name: String?
        var fileName: String?
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Malformed() }
            let field = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !field.isEmpty, field.unicodeScalars.allSatisfy(isTokenCharacter),
                value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else { throw Malformed() }
            guard field.lowercased() == "content-disposition" else { continue }
            let parameters = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parameters.first?.lowercased() == "form-data" else { throw Malformed() }
            for parameter in parameters.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                var value = pair[1]
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                switch pair[0].lowercased() {
                case "name": name = value
                case "filename": fileName = value
                default: break
                }
            }
        }
        guard let name else { throw Malformed() }
        return .part(name: name, fileName: fileName)
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII, scalar.value > 0x20, scalar.value < 0x7F else { return false }
        return !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains(scalar)
    }
}
