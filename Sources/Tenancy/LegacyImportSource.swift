import Casework
import Crypto
import Documents
import Foundation
import KerbCore
import NationalBlueBadge

/// Reads a council's records from another system, in the template docs/import-template.md
/// describes (people.csv, applications.csv, badges.csv, documents.csv and a files/ folder), as
/// the rows and documents an import writes. Every value is checked with the rules Kerb's own
/// forms use (postcodes, NI numbers, the national scheme's codes, lengths, dates) and every
/// reference between files resolved; each refusal names the file, line and column.
enum LegacyImportSource {
    static let files = ["people.csv", "applications.csv", "badges.csv", "documents.csv"]

    /// True if `folder` looks like legacy files (it has people.csv).
    static func recognises(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("people.csv").path)
    }

    static func plan(_ folder: URL) -> ImportPlan {
        let checker = LegacyChecker()
        let people = checker.people(checker.read(folder, "people.csv", LegacyColumns.people))
        let applications = checker.applications(checker.read(folder, "applications.csv", LegacyColumns.applications), people: people)
        let badges = checker.badges(checker.read(folder, "badges.csv", LegacyColumns.badges), people: people, applications: applications)
        let documents = checker.documents(folder, checker.read(folder, "documents.csv", LegacyColumns.documents), applications)
        return ImportPlan(
            source: .legacy, tables: [people.table, applications.table, badges, documents.table], documents: documents.files,
            refusals: checker.refusals, replacesOnboarding: false, nation: nil)
    }
}

/// Each template file's columns: the required ones, then the optional ones.
enum LegacyColumns {
    typealias Spec = (required: [String], optional: [String])
    static let people: Spec = (
        ["person_ref", "full_name", "address_line1", "postcode"],
        ["kind", "date_of_birth", "nino", "address_line2", "town", "email", "phone", "preferred_channel"]
    )
    static let applications: Spec = (
        ["application_ref", "person_ref", "kind", "channel", "status"],
        ["replace_reason", "eligibility", "received_on", "decided_on", "existing_badge", "national_id"]
    )
    static let badges: Spec = (
        ["badge_number", "person_ref", "eligibility", "start_date", "expiry_date", "deliver_to", "status", "ordered_on"],
        ["application_ref", "delivery_option", "cancel_reason", "replace_reason", "replaces", "issued_on"]
    )
    static let documents: Spec = (["application_ref", "file", "class"], ["file_name", "uploaded_on"])
}

/// One line of a template file: its values by column, blank ones left out.
struct LegacyRow {
    let file: String
    let line: Int
    let values: [String: String]
    subscript(_ column: String) -> String? { values[column] }
}

/// Checks the template's files row by row, collecting every refusal.
final class LegacyChecker {
    private(set) var refusals: [ImportRefusal] = []

    func refuse(_ row: LegacyRow, _ column: String?, _ reason: String) {
        refusals.append(ImportRefusal(file: row.file, line: row.line, column: column, reason: reason))
    }

    /// The file's rows (none if it is absent and optional), its header checked against `spec`.
    func read(_ folder: URL, _ file: String, _ spec: LegacyColumns.Spec) -> [LegacyRow] {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path) else {
            if file == "people.csv" { refusals.append(ImportRefusal(file: file, reason: "is missing")) }
            return []
        }
        let records: [ImportCSV.Record]
        do throws(ImportCSV.Failure) { records = try ImportCSV.parse(data) } catch {
            refusals.append(ImportCSV.refusal(error, file: file))
            return []
        }
        guard let header = records.first else { return [] }
        let names = header.fields.map { ($0 ?? "").trimmingCharacters(in: .whitespaces).lowercased() }
        let known = Set(spec.required + spec.optional)
        var problems = names.filter { !known.contains($0) }.map { "unknown column '\($0.prefix(40))'" }
        problems += spec.required.filter { !names.contains($0) }.map { "the required column \($0) is missing" }
        if Set(names).count != names.count { problems.append("a column is named twice") }
        guard problems.isEmpty else {
            refusals += problems.map { ImportRefusal(file: file, line: 1, reason: $0) }
            return []
        }
        return records.dropFirst().compactMap { record in
            guard record.fields.count == names.count else {
                refusals.append(
                    ImportRefusal(file: file, line: record.line, reason: "has \(record.fields.count) fields, the header \(names.count)"))
                return nil
            }
            var values: [String: String] = [:]
            for (name, value) in zip(names, record.fields) {
                let trimmed = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { values[name] = trimmed }
            }
            return LegacyRow(file: file, line: record.line, values: values)
        }
    }

    // MARK: values

    /// A required or optional text of at most `max` characters.
    func text(_ row: LegacyRow, _ column: String, max: Int, required: Bool = false) -> String? {
        guard let value = row[column] else {
            if required { refuse(row, column, "is required") }
            return nil
        }
        guard value.count <= max else {
            refuse(row, column, "is longer than \(max) characters")
            return nil
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            refuse(row, column, "holds control characters")
            return nil
        }
        return value
    }

    /// One of `codes` (the national scheme's, as the schema holds them).
    func code(_ row: LegacyRow, _ column: String, _ codes: [String], required: Bool = false) -> String? {
        guard let value = row[column] else {
            if required { refuse(row, column, "is required") }
            return nil
        }
        guard codes.contains(value) else {
            refuse(row, column, "is not one of \(codes.joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// A day as YYYY-MM-DD.
    func day(_ row: LegacyRow, _ column: String, required: Bool = false) -> DateComponents? {
        guard let value = row[column] else {
            if required { refuse(row, column, "is required") }
            return nil
        }
        guard let day = Self.day(value) else {
            refuse(row, column, "is not a date written YYYY-MM-DD")
            return nil
        }
        return day
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    static func day(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1900...2200).contains(year)
        else { return nil }
        let components = DateComponents(calendar: calendar, year: year, month: month, day: day)
        return components.isValidDate ? components : nil
    }

    static func text(_ day: DateComponents) -> String {
        String(format: "%04d-%02d-%02d", day.year ?? 0, day.month ?? 0, day.day ?? 0)
    }

    /// A reference to another file's row, which must be there.
    func reference<T>(_ row: LegacyRow, _ column: String, in index: [String: T], file: String, required: Bool = true) -> T? {
        guard let value = row[column] else {
            if required { refuse(row, column, "is required") }
            return nil
        }
        guard let found = index[value] else {
            refuse(row, column, "names no row of \(file)")
            return nil
        }
        return found
    }

    /// Remembers `value` of `column` and refuses a second row with it, naming the first.
    func unique(_ row: LegacyRow, _ column: String, _ value: String?, _ seen: inout [String: Int]) -> Bool {
        guard let value else { return true }
        if let first = seen[value] {
            refuse(row, column, "repeats the value of line \(first)")
            return false
        }
        seen[value] = row.line
        return true
    }
}
