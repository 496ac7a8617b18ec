/// Rows for a CSV download that a council officer will open in a spreadsheet.
///
/// Every cell goes through `cell`, as OWASP's CSV-injection guidance says: a cell starting with
/// `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so no spreadsheet runs it as a formula, and
/// a cell holding a separator, quote, CR or LF is quoted (RFC 4180) so a name with an embedded
/// newline cannot start a row of its own.
struct CSVExport: Sendable {
    private(set) var lines: [String] = []

    init(header: [String]) { append(header) }

    mutating func append(_ cells: [String]) { lines.append(cells.map(Self.cell).joined(separator: ",")) }

    /// CRLF line ends (RFC 4180), with a final one.
    var text: String { lines.joined(separator: "\r\n") + "\r\n" }

    static func cell(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
