import Foundation
import Storage
import Testing

@testable import Tenancy

/// The pieces of `kerb tenant import` that need no database: reading CSV as the export writes
/// it and spreadsheets save it, the order tables and self-referencing rows are written in, and
/// refusal reasons that never repeat a value.
@Suite struct ImportFilesTests {
    @Test func csvKeepsNullApartFromEmptyAndNamesTheLineOfAProblem() throws {
        let text = "\u{FEFF}\"a\",\"b\",c\r\n\"x, \"\"y\"\"\",,\"\"\r\n\"two\nlines\",1,2\n"
        let records = try ImportCSV.parse(Data(text.utf8))
        #expect(records.map(\.line) == [1, 2, 3])
        #expect(records[0].fields == ["a", "b", "c"])
        #expect(records[1].fields == ["x, \"y\"", nil, ""])
        #expect(records[2].fields == ["two\nlines", "1", "2"])

        #expect(throws: ImportCSV.Failure.unterminatedQuote(line: 2)) { try ImportCSV.parse(Data("a\n\"open\n".utf8)) }
        #expect(throws: ImportCSV.Failure.strayQuote(line: 2)) { try ImportCSV.parse(Data("a\nb\"c\n".utf8)) }
        #expect(throws: ImportCSV.Failure.notUTF8(line: 1)) { try ImportCSV.parse(Data([0x61, 0xFF, 0x0A])) }
    }

    @Test func tablesComeAfterWhatTheyReferenceAndRowsAfterTheRowTheyName() {
        let keys = [
            AdminSession.ForeignKey(table: "applications", columns: ["person_id"], references: "people", referenced: ["id"]),
            AdminSession.ForeignKey(table: "badges", columns: ["person_id"], references: "people", referenced: ["id"]),
            AdminSession.ForeignKey(table: "badges", columns: ["replaces"], references: "badges", referenced: ["badge_number"]),
        ]
        #expect(ImportWriter.order(["badges", "applications", "people"], keys) == ["people", "applications", "badges"])
        #expect(ImportWriter.order(["people", "people"], keys) == ["people"])
        let badges = PlannedTable(
            name: "badges", file: "badges.csv", columns: ["badge_number", "replaces"],
            rows: [(2, ["C00003", "B00002"]), (3, ["B00002", "A00001"]), (4, ["A00001", nil]), (5, ["D00004", "ZZZZZZ"])])
        #expect(ImportWriter.ordered(badges, keys).map(\.line) == [4, 5, 3, 2])
    }

    @Test func refusalsNameTheRuleNotTheValue() {
        let unique = StorageError.statementFailed(
            sqlState: "23505",
            message:
                "ERROR:  duplicate key value violates unique constraint \"people_nino\"\nDETAIL:  Key (nino)=(AB123456C) already exists.")
        #expect(ImportWriter.reason(unique) == "repeats a value that must be unique (people_nino)")
        let syntax = StorageError.statementFailed(sqlState: "22P02", message: "invalid input syntax for type uuid: \"Ada Lovelace\"")
        #expect(!ImportWriter.reason(syntax).contains("Ada"))
        #expect(
            ImportRefusal(file: "people.csv", line: 3, column: "postcode", reason: "is not a UK postcode").description
                == "people.csv line 3, column postcode: is not a UK postcode")
    }
}
