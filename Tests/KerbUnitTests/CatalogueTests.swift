import Tenancy
import Testing

@Suite struct CatalogueTests {
    @Test func holdsEveryAuthorityOfAppendixAWithItsBand() throws {
        let catalogue = try AuthorityCatalogue.bundled()
        #expect(catalogue.authorities.count == 205)
        let counts = Dictionary(grouping: catalogue.authorities, by: \.band).mapValues(\.count)
        #expect(counts == [.a: 57, .b: 52, .c: 33, .d: 29, .e: 18, .f: 16])
        #expect(Set(catalogue.authorities.map(\.slug)).count == 205)
        #expect(catalogue.bands.map(\.band) == Band.allCases)
    }

    @Test func keepsTheSeedsOddities() throws {
        let catalogue = try AuthorityCatalogue.bundled()
        let trust = try #require(catalogue.authorities.first { $0.name == "Torbay & South Devon NHS Foundation Trust" })
        #expect(trust.band == .b && trust.nation == .england)
        let ni = catalogue.authorities.filter { $0.nation == .northernIreland }
        #expect(ni.count == 1 && ni.first?.band == .f)
    }

    @Test func nationsAreRight() throws {
        let catalogue = try AuthorityCatalogue.bundled()
        let nation = Dictionary(uniqueKeysWithValues: catalogue.authorities.map { ($0.slug.rawValue, $0.nation) })
        #expect(nation["anglesey"] == .wales)
        #expect(nation["cardiff"] == .wales)
        #expect(nation["glasgow"] == .scotland)
        #expect(nation["eilean-siar"] == .scotland)
        #expect(nation["westminster"] == .england)
        #expect(nation["northern-ireland"] == .northernIreland)
    }

    @Test func refusesMalformedRows() {
        #expect(throws: TenancyError.catalogue("authorities.csv line 2: bad slug 'Bad Slug'")) {
            try AuthorityCatalogue(authoritiesCSV: "slug,name,band,nation\nBad Slug,X,A,England\n", bandsCSV: "band,rank,description\n")
        }
        #expect(throws: TenancyError.catalogue("authorities.csv line 2: bad band")) {
            try AuthorityCatalogue(authoritiesCSV: "slug,name,band,nation\nx,X,G,England\n", bandsCSV: "band,rank,description\n")
        }
        #expect(throws: TenancyError.catalogue("authorities.csv line 2: bad nation")) {
            try AuthorityCatalogue(authoritiesCSV: "slug,name,band,nation\nx,X,A,Atlantis\n", bandsCSV: "band,rank,description\n")
        }
        #expect(throws: TenancyError.catalogue("expected header slug,name,band,nation")) {
            try AuthorityCatalogue(authoritiesCSV: "slug,name\nx,X\n", bandsCSV: "band,rank,description\n")
        }
    }

    @Test func readsQuotedFields() throws {
        let catalogue = try AuthorityCatalogue(
            authoritiesCSV: "slug,name,band,nation\nx,\"Comma, \"\"Quoted\"\" Council\",A,Wales\n", bandsCSV: "band,rank,description\n")
        #expect(catalogue.authorities.first?.name == "Comma, \"Quoted\" Council")
    }
}
