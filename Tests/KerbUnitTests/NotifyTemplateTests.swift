import Communications
import Foundation
import Notify
import Testing

/// Notify's template syntax as Kerb renders it (the copy on the case is what Notify sends), its
/// API keys and its address rules: no database.
@Suite struct NotifyTemplateTests {
    @Test func placeholdersConditionalsAndListsRenderAsNotifyDoes() throws {
        let template = NotifyTemplate(
            body: "Dear ((Applicant Name)),\n((reasons))\n((review offered??You can ask for a review.))((late??Sorry.))",
            subject: "Reference ((reference))")
        #expect(template.placeholders == ["reference", "Applicant Name", "reasons", "review offered", "late"])
        let rendered = try template.render([
            "applicant_name": .text("Ada"), "REFERENCE": .text("BB-1"), "reasons": .list(["one", "two"]), "review-offered": .text("Yes"),
            "late": .flag(false),
        ])
        #expect(rendered.subject == "Reference BB-1")
        #expect(rendered.body == "Dear Ada,\n* one\n* two\nYou can ask for a review.")
        let text = try NotifyTemplate(body: "((reasons))").render(["reasons": .list(["a", "b"])], bullets: false)
        #expect(text.body == "a, b")
    }

    @Test func missingPersonalisationIsNamedAndNothingRenders() {
        let template = NotifyTemplate(body: "((a)) ((b??x)) ((c))", subject: "((d))")
        #expect(throws: NotifyTemplateError.missingPersonalisation(["d", "a", "c"])) {
            try template.render(["b": .flag(true)])
        }
        #expect(template.missing(from: ["A": .text(""), "c": .text(""), "d": .text(""), "b": .text("")]).isEmpty)
    }

    /// What is not a placeholder stays as written: single parentheses, empty markers, nesting,
    /// an unclosed marker.
    @Test func textThatIsNotAPlaceholderIsLeftAlone() throws {
        let body = "(a) ((  )) (((x))) ((y) ((unclosed ((ok)) (( ))"
        let template = NotifyTemplate(body: body)
        #expect(template.placeholders == ["x", "ok"])
        #expect(try template.render(["x": .text("X"), "ok": .text("OK")]).body == "(a) ((  )) (X) ((y) ((unclosed OK (( ))")
    }

    /// Random text of the syntax's own characters never traps, and rendering with every
    /// placeholder supplied always succeeds (a council's template is input).
    @Test func randomTemplatesNeverTrap() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("(()) ??ab\n-_é")
        for _ in 0..<3_000 {
            let text = String((0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let template = NotifyTemplate(body: text, subject: text)
            var values: [String: NotifyValue] = [:]
            for name in template.placeholders { values[name] = .text("v") }
            _ = try template.render(values)
        }
    }

    @Test func apiKeysAreReadAsNotifyIssuesThem() throws {
        let service = "26785a09-ab16-4eb0-8407-a37497a57506"
        let secret = "3d844edf-8d35-48ac-975b-e847b4f122b0"
        let key = try #require(NotifyAPIKey("my_test_key-\(service)-\(secret)"))
        #expect(key.name == "my_test_key" && key.serviceID == service && key.text == "my_test_key-\(service)-\(secret)")
        #expect(!String(describing: key).contains(secret))
        for bad in [
            "", "\(service)-\(secret)", "name-\(service)\(secret)x", "name-\(service)-not-a-uuid-at-all-000000000000000",
            "name with space-\(service)-\(secret)", "name-\(service.dropLast())x-\(secret)",
        ] {
            #expect(NotifyAPIKey(bad) == nil, "\(bad)")
        }
    }

    @Test func lettersNeedThreeToSevenLinesEndingInAPostcode() throws {
        #expect(try PostalAddress(lines: ["A", "1 Road", "sw1a1aa"]).lines == ["A", "1 Road", "SW1A 1AA"])
        #expect(throws: NotifyError.invalid("the address must be at least 3 lines")) { try PostalAddress(lines: ["A", "", "SW1A 1AA"]) }
        #expect(throws: NotifyError.invalid("the address must be no more than 7 lines")) {
            try PostalAddress(lines: Array(repeating: "x", count: 7) + ["SW1A 1AA"])
        }
        #expect(throws: NotifyError.invalid("the last line of the address must be a real UK postcode")) {
            try PostalAddress(lines: ["A", "B", "London"])
        }
    }
}

/// Kerb's default wording: every placeholder is a field Kerb fills in for its kind (so no
/// message can fail to render), each renders with example values, and text messages fit.
@Suite struct DefaultWordingTests {
    @Test func everyDefaultUsesOnlyItsKindsFieldsAndFits() throws {
        let wording = try MessageWording.bundled()
        for kind in MessageKind.allCases {
            for channel in kind.channels {
                let template = wording.defaultWording(kind, channel)
                #expect(
                    wording.problem(kind, channel, subject: template.subject, body: template.body) == nil, "\(kind.rawValue) by \(channel)")
                let rendered = try template.render(kind.sample, bullets: channel != .sms)
                #expect(!rendered.body.contains("(("), "\(kind.rawValue) by \(channel)")
            }
        }
    }
}
