import Casework
import KerbCore
import Testing

/// The part of `CaseworkTests` (database target) that needs no database: postcode and National
/// Insurance number formats.
@Suite struct CaseworkTests {
    @Test func postcodesAndNationalInsuranceNumbersAreCheckedAndNormalised() {
        #expect(UKFormats.postcode("sw1a1aa") == "SW1A 1AA")
        #expect(UKFormats.postcode(" M1 1AE ") == "M1 1AE")
        #expect(UKFormats.postcode("CR2 6XH") == "CR2 6XH")
        #expect(UKFormats.postcode("DN55 1PT") == "DN55 1PT")
        for bad in ["", "SW1A", "12345", "SW1A 1AAA", "QW1 1AA", "SW1A 1CA"] { #expect(UKFormats.postcode(bad) == nil, "\(bad)") }
        #expect(UKFormats.nino("AB 12 34 56 C") == "AB123456C")
        for bad in ["AB123456", "AB123456E", "DA123456A", "AO123456A", "GB123456A", "ZZ123456A", "A1234567B"] {
            #expect(UKFormats.nino(bad) == nil, "\(bad)")
        }
    }
}
