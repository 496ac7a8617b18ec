import HTTPTypes
import Hummingbird
import Testing

@testable import Web

/// The parts of `HostileRequestTests` (web target) that need no database: Kerb's own form
/// parser and the CSV cells (issue 9, items 1 and 13).
@Suite struct HostileRequestTests {
    @Test func theFormParserReadsWhatBrowsersSendAndRefusesTheRest() throws {
        let form = try FormFields(parsing: Array("a=1&b=x+y%2Bz&c=&d&e=caf%C3%A9&a=2&=v".utf8))
        #expect(form["a"] == "1" && form.all("a") == ["1", "2"])
        #expect(form["b"] == "x y+z" && form["c"] == "" && form["d"] == "" && form["e"] == "café" && form[""] == "v")
        #expect(throws: MalformedRequest.badEscape) { try FormFields(parsing: Array("a=%G1".utf8)) }
        #expect(throws: MalformedRequest.notUTF8) { try FormFields(parsing: [0x61, 0x3D, 0xC0, 0xAF]) }
        #expect(throws: MalformedRequest.controlCharacter) { try FormFields(parsing: Array("a=%7F".utf8)) }
        #expect(throws: MalformedRequest.controlCharacter) { try FormFields(parsing: Array("a%00=1".utf8)) }
        #expect(FormFields.isForm("Application/X-WWW-Form-Urlencoded; charset=UTF-8"))
        #expect(!FormFields.isForm("application/x-www-form-urlencodedx") && !FormFields.isForm(nil))
    }

    /// Item 13: OWASP's CSV-injection rules on every cell.
    @Test func csvCellsCannotRunFormulasOrBreakRows() {
        #expect(CSVExport.cell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(CSVExport.cell("+1") == "'+1")
        #expect(CSVExport.cell("-2+3") == "'-2+3")
        #expect(CSVExport.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVExport.cell("\tx") == "'\tx")
        #expect(CSVExport.cell("\rx") == "\"'\rx\"")
        #expect(CSVExport.cell("Jo\nBloggs") == "\"Jo\nBloggs\"")
        #expect(CSVExport.cell("Jo\r\nBloggs") == "\"Jo\r\nBloggs\"")
        #expect(CSVExport.cell("a,b") == "\"a,b\"")
        #expect(CSVExport.cell("plain") == "plain")
        var csv = CSVExport(header: ["a", "b"])
        csv.append(["=1", "x\ny"])
        #expect(csv.text == "a,b\r\n'=1,\"x\ny\"\r\n")
    }
}

/// The part of `ClientThrottleTests` (web target) that needs no database (issue 9, item 6).
@Suite struct ClientThrottleTests {
    @Test func forwardedForIsBelievedOnlyFromATrustedProxy() {
        let request = Request(
            head: HTTPRequest(
                method: .post, scheme: "http", authority: "localhost", path: "/",
                headerFields: [.init("X-Forwarded-For")!: "203.0.113.9, 10.0.0.2"]),
            body: .init(buffer: .init()))
        #expect(ClientAddressMiddleware.client(request, peer: "198.51.100.7", trusted: ["10.0.0.2"]) == "198.51.100.7")
        #expect(ClientAddressMiddleware.client(request, peer: "10.0.0.2", trusted: ["10.0.0.2"]) == "203.0.113.9")
        #expect(ClientAddressMiddleware.client(request, peer: nil, trusted: []) == "unknown")
    }
}
