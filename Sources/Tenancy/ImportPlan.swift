import Foundation

/// Why an import refuses something: the file, the line (1 is the header row) and the column it
/// is about, when it is about one. The reason names the rule broken, never the value, so a
/// report can be shared without the personal data it is about.
public struct ImportRefusal: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: String?
    public let reason: String

    public init(file: String, line: Int? = nil, column: String? = nil, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        file + (line.map { " line \($0)" } ?? "") + (column.map { ", column \($0)" } ?? "") + ": " + reason
    }
}

/// What an import would do (a dry run) or did: the rows it writes per table, the documents it
/// stores, and everything it refuses. Nothing is written unless `refusals` is empty.
public struct ImportReport: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// `kerb tenant export` of `council`, up to audit entry `auditSeq`.
        case kerbExport(council: String, auditSeq: Int64)
        /// Files in the legacy template (docs/import-template.md).
        case legacy
    }

    public var source: Source
    /// Rows to write, per table, in the order they are written.
    public var creates: [(table: String, rows: Int)]
    public var documents: Int
    public var refusals: [ImportRefusal]
    /// True once committed and verified.
    public var applied = false

    public static func == (lhs: ImportReport, rhs: ImportReport) -> Bool {
        lhs.source == rhs.source && lhs.creates.map(\.table) == rhs.creates.map(\.table)
            && lhs.creates.map(\.rows) == rhs.creates.map(\.rows)
            && lhs.documents == rhs.documents && lhs.refusals == rhs.refusals && lhs.applied == rhs.applied
    }

    /// The report as the CLI prints it.
    public var text: String {
        var lines: [String] = []
        switch source {
        case .kerbExport(let council, let seq): lines.append("source: Kerb export of \(council) (audit position \(seq))")
        case .legacy: lines.append("source: legacy CSV files (docs/import-template.md)")
        }
        lines.append(applied ? "created:" : "would create:")
        for entry in creates where entry.rows > 0 { lines.append("  \(entry.table): \(entry.rows) row(s)") }
        lines.append("  documents: \(documents)")
        if !refusals.isEmpty {
            lines.append("refused (\(refusals.count)); nothing is written until there are none:")
            lines += refusals.map { "  " + $0.description }
        }
        return lines.joined(separator: "\n")
    }
}

/// One table's rows as an import writes them, each with the line of its source file.
struct PlannedTable: Sendable {
    let name: String
    /// The file its rows came from (for refusals).
    let file: String
    var columns: [String]
    var rows: [(line: Int, values: [String?])]
}

/// A document to encrypt under the council's key and store: the plaintext file, its SHA-256
/// (hex) and size as the source recorded them, and its type as its first bytes show.
struct PlannedDocument: Sendable {
    let id: UUID
    let url: URL
    let file: String
    let sha256: String
    let bytes: Int
}

/// Everything an import writes, validated: produced by reading a Kerb export or legacy files,
/// then written in one transaction by `TenantImport`.
struct ImportPlan: Sendable {
    var source: ImportReport.Source
    var tables: [PlannedTable]
    var documents: [PlannedDocument]
    var refusals: [ImportRefusal]
    /// A Kerb export replaces what onboarding seeded (users, groups, policy, audit trail);
    /// legacy files add casework beside it.
    var replacesOnboarding: Bool
    /// The nation the source's council is in, when it says (policy guardrails differ by nation).
    var nation: String?

    func report(applied: Bool = false) -> ImportReport {
        ImportReport(
            source: source, creates: tables.map { ($0.name, $0.rows.count) }, documents: documents.count, refusals: refusals,
            applied: applied)
    }
}

/// RFC 4180 CSV as Kerb's export writes it and spreadsheets save it: a header row, fields
/// separated by commas, quoted when they hold commas, quotes or line breaks. An unquoted empty
/// field is nil (NULL in an export, "not given" in a legacy file); a quoted empty one is "".
enum ImportCSV {
    struct Record {
        /// The line the record starts on (1 is the header).
        let line: Int
        let fields: [String?]
    }

    enum Failure: Error, Equatable {
        case unterminatedQuote(line: Int)
        case strayQuote(line: Int)
        case notUTF8(line: Int)
    }

    static func parse(_ data: Data) throws(Failure) -> [Record] {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // a spreadsheet's byte order mark
        var records: [Record] = []
        var fields: [String?] = []
        var field: [UInt8] = []
        var quoted = false
        var line = 1
        var recordLine = 1
        var index = 0
        func finishField() throws(Failure) {
            guard let text = String(validating: field, as: UTF8.self) else { throw .notUTF8(line: line) }
            fields.append(quoted || !field.isEmpty ? text : nil)
            field = []
            quoted = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") && field.isEmpty && !quoted {
                quoted = true
                index += 1
                // The quoted part: up to a quote not doubled.
                while true {
                    guard index < bytes.count else { throw .unterminatedQuote(line: recordLine) }
                    let inner = bytes[index]
                    if inner == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(inner)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if inner == UInt8(ascii: "\n") { line += 1 }
                    field.append(inner)
                    index += 1
                }
                guard index == bytes.count || [UInt8(ascii: ","), UInt8(ascii: "\r"), UInt8(ascii: "\n")].contains(bytes[index]) else {
                    throw .strayQuote(line: line)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                try finishField()
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
                try finishField()
                if !(fields.count == 1 && fields[0] == nil) { records.append(Record(line: recordLine, fields: fields)) }
                fields = []
                line += 1
                recordLine = line
            case UInt8(ascii: "\""):
                throw .strayQuote(line: line)
            default:
                if quoted { throw .strayQuote(line: line) }
                field.append(byte)
            }
            index += 1
        }
        if !field.isEmpty || quoted || !fields.isEmpty {
            try finishField()
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }

    /// What a parse failure is, for a refusal.
    static func refusal(_ failure: Failure, file: String) -> ImportRefusal {
        switch failure {
        case .unterminatedQuote(let line): ImportRefusal(file: file, line: line, reason: "a quoted field is not closed")
        case .strayQuote(let line):
            ImportRefusal(file: file, line: line, reason: "a quote inside an unquoted field, or after a closing quote")
        case .notUTF8(let line): ImportRefusal(file: file, line: line, reason: "the text is not UTF-8")
        }
    }
}
