import KerbCore
import Testing

@Suite struct SlugTests {
    @Test(arguments: ["torbay", "argyll-and-bute", "a", "st-helens", "k2", String(repeating: "a", count: 40)])
    func acceptsDNSLabels(_ raw: String) throws {
        let slug = try #require(Slug(raw))
        #expect(slug.schemaName == "t_" + raw.replacingOccurrences(of: "-", with: "_"))
        #expect(slug.ownerRoleName == "kerb_t_" + raw.replacingOccurrences(of: "-", with: "_"))
        #expect(slug.requestRoleName == "kerb_r_" + raw.replacingOccurrences(of: "-", with: "_"))
    }

    @Test(arguments: [
        "", "Torbay", "1torbay", "-torbay", "torbay-", "tor--bay", "tor_bay", "tor bay", "torbay\"; DROP ROLE kerb_app; --",
        "t\u{0301}orbay", "tórbay", String(repeating: "a", count: 41), "x\"y", "a.b",
    ])
    func refusesAnythingElse(_ raw: String) {
        #expect(Slug(raw) == nil)
    }
}
