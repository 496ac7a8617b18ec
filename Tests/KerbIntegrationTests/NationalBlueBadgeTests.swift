import AsyncHTTPClient
import ContractFakes
import Foundation
import KerbCore
import NIOCore
import NationalBlueBadge
import Testing

/// The national Blue Badge client against the contract fake, over real HTTP on 127.0.0.1, with the
/// fake's "today" fixed at 15 June 2025.
@Suite struct NationalBlueBadgeTests {
    static let westminsterToken = "token-westminster-abc123"
    static let cardiffToken = "token-cardiff-def456"
    static let now = NationalDate.parseInstant("2025-06-15T10:00:00Z")!
    static let today = "2025-06-15"

    struct Clients {
        let fake: NationalBlueBadgeFake
        let westminster: NationalBlueBadgeClient
        let cardiff: NationalBlueBadgeClient
        let base: String
    }

    static func withFake(_ body: (Clients) async throws -> Void) async throws {
        let fake = NationalBlueBadgeFake(tokens: [westminsterToken: "WSTMN", cardiffToken: "CARDF"], clock: { now })
        let port = try await fake.start()
        let base = "http://127.0.0.1:\(port)"
        let clients = Clients(
            fake: fake, westminster: NationalBlueBadgeClient(baseURL: base, token: westminsterToken),
            cardiff: NationalBlueBadgeClient(baseURL: base + "/", token: cardiffToken), base: base
        )
        let result: Result<Void, any Error>
        do {
            try await body(clients)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await fake.stop()
        try result.get()
    }

    static func contact(_ postcode: String = "SW1A 1AA") -> NationalContact {
        NationalContact(
            fullName: "Sam Example", buildingStreet: "1 Example Street", townCity: "London", postCode: postcode,
            primaryPhoneNumber: "02070000000", emailAddress: "sam@example.org"
        )
    }

    static func application(la: String, submitted: String, type: String = "NEW", name: String = "Sam Example") -> NationalApplication {
        NationalApplication(
            applicationTypeCode: type, localAuthorityCode: la, paymentTaken: true, paymentReference: "PVAUETDW43CM",
            submissionDate: submitted,
            party: NationalParty(
                contact: contact(),
                person: NationalPerson(badgeHolderName: name, nino: "NY188796B", dob: "1950-02-01", genderCode: "FEMALE")
            ),
            eligibility: NationalEligibility(
                typeCode: "WALKD", descriptionOfConditions: "Arthritis",
                walkingDifficulty: NationalWalkingDifficulty(
                    typeCodes: ["PAIN"], walkingLengthOfTimeCode: "LESSMIN", walkingSpeedCode: "SLOW")
            ),
            artifacts: [NationalArtifact(type: "PROOF_ID", link: "https://files.example/proof-id")]
        )
    }

    static func order(
        la: String = "WSTMN", name: String = "Pat Holder", start: String = today, expiry: String = "2028-06-14",
        deliverTo: String = "HOME", option: String = "STAND"
    ) -> BadgeOrder {
        BadgeOrder(
            party: NationalParty(
                contact: contact(), person: NationalPerson(badgeHolderName: name, nino: "NY188796B", dob: "1950-02-01", genderCode: "MALE")),
            localAuthorityShortCode: la, localAuthorityRef: "KERB-2025-0001", applicationDate: "2025-06-01",
            applicationChannelCode: "ONLINE",
            startDate: start, expiryDate: expiry, eligibilityCode: "PIP", deliverToCode: deliverTo, deliveryOptionCode: option
        )
    }

    /// The message key and fields of a `.rejected`, or a recorded issue.
    static func rejection(_ error: NationalServiceError?) -> (message: String, fields: [String])? {
        guard case .rejected(let message, let fields) = error else {
            Issue.record("expected .rejected, got \(String(describing: error))")
            return nil
        }
        return (message, fields)
    }

    // MARK: applications

    @Test func submittedApplicationsAreFoundByCouncilAndDate() async throws {
        try await Self.withFake { c in
            let early = try await c.westminster.submitApplication(Self.application(la: "WSTMN", submitted: "2025-06-01T09:00:00Z"))
            let late = try await c.westminster.submitApplication(
                Self.application(la: "WSTMN", submitted: "2025-06-10T09:00:00Z", type: "RENEW", name: "Lee Late")
            )
            let cardiffs = try await c.cardiff.submitApplication(Self.application(la: "CARDF", submitted: "2025-06-10T09:00:00Z"))

            let all = try await c.westminster.findApplications(localAuthority: "WSTMN", from: nil, to: nil)
            #expect(Set(all.data.map(\.applicationId)) == [early, late])
            #expect(all.pagingInfo.total == 2)

            let from = NationalDate.parseInstant("2025-06-05T00:00:00Z")!
            let to = NationalDate.parseInstant("2025-06-30T00:00:00Z")!
            let recent = try await c.westminster.findApplications(localAuthority: "WSTMN", from: from, to: to)
            #expect(recent.data.map(\.applicationId) == [late])
            #expect(recent.data.first?.name == "Lee Late")
            #expect(recent.data.first?.applicationStatus == "TODO")
            #expect(recent.data.first?.applicationTypeCode == "RENEW")

            let renewals = try await c.westminster.findApplications(localAuthority: "WSTMN", from: nil, to: nil, type: "NEW")
            #expect(renewals.data.map(\.applicationId) == [early])

            // Cardiff sees only its own; Westminster cannot open Cardiff's.
            let cardiffAll = try await c.cardiff.findApplications(localAuthority: "CARDF", from: nil, to: nil)
            #expect(cardiffAll.data.map(\.applicationId) == [cardiffs])
            await #expect(throws: NationalServiceError.notFound) { try await c.westminster.application(id: cardiffs) }

            let full = try await c.westminster.application(id: early)
            #expect(full.applicationId == early)
            #expect(full.party.person?.badgeHolderName == "Sam Example")
            #expect(full.eligibility?.walkingDifficulty?.typeCodes == ["PAIN"])
            #expect(full.submissionDate == "2025-06-01T09:00:00Z")
        }
    }

    @Test func searchPagesThroughResults() async throws {
        try await Self.withFake { c in
            for day in 1...5 {
                _ = try await c.westminster.submitApplication(Self.application(la: "WSTMN", submitted: "2025-06-0\(day)T09:00:00Z"))
            }
            let page2 = try await c.westminster.findApplications(localAuthority: "WSTMN", from: nil, to: nil, page: 2, pageSize: 2)
            #expect(page2.pagingInfo == PagingInfo(total: 5, count: 2, pageSize: 2, pageNum: 2, pages: 3))
            #expect(page2.data.map(\.submissionDate) == ["2025-06-03T09:00:00Z", "2025-06-02T09:00:00Z"])
            await #expect(throws: NationalServiceError.self) {
                try await c.westminster.findApplications(localAuthority: "WSTMN", from: nil, to: nil, pageSize: 500)
            }
            await #expect(throws: NationalServiceError.self) {
                try await c.westminster.findApplications(localAuthority: "westminster", from: nil, to: nil)
            }
        }
    }

    @Test func applicationStatusMovesThroughTheQueue() async throws {
        try await Self.withFake { c in
            let id = try await c.westminster.submitApplication(Self.application(la: "WSTMN", submitted: "2025-06-01T09:00:00Z"))
            try await c.westminster.setApplicationStatus(id: id, "INPROGRESS")
            #expect(try await c.westminster.application(id: id).applicationStatus == "INPROGRESS")
            await #expect(throws: NationalServiceError.notFound) { try await c.cardiff.setApplicationStatus(id: id, "COMPLETED") }
            #expect(try await c.westminster.application(id: id).applicationStatus == "INPROGRESS")
            let before = c.fake.requests.count
            await #expect(throws: NationalServiceError.self) { try await c.westminster.setApplicationStatus(id: id, "DONE") }
            #expect(c.fake.requests.count == before)
        }
    }

    @Test func unknownTokenIsUnauthorisedAndNeverEchoed() async throws {
        try await Self.withFake { c in
            let stranger = NationalBlueBadgeClient(baseURL: c.base, token: "token-nobody-999")
            let error = await #expect(throws: NationalServiceError.unauthorised) {
                try await stranger.findApplications(localAuthority: "WSTMN", from: nil, to: nil)
            }
            #expect(error?.publicDetail.contains("token-nobody-999") == false)
            await #expect(throws: NationalServiceError.unauthorised) { try await stranger.orderBadge(Self.order()) }
        }
    }

    // MARK: badges

    @Test func validOrderGetsTheFirstNumberThatIsNotBlacklisted() async throws {
        try await Self.withFake { c in
            let number = try await c.westminster.orderBadge(Self.order())
            #expect(BadgeNumber.isValid(number))
            #expect(number == "KKJKKJ")  // KKKKKK … KKJKKK all contain "KKK"
            let second = try await c.westminster.orderBadge(Self.order(name: "Another Holder"))
            #expect(second == "KKJKKH")

            let badge = try await c.westminster.badge(number: number.lowercased())
            #expect(badge.badgeNumber == number)
            #expect(badge.statusCode == "ORDERED")
            #expect(badge.localAuthorityShortCode == "WSTMN")
            #expect(badge.startDate == Self.today && badge.expiryDate == "2028-06-14")
            #expect(badge.orderDate == Self.today)
            #expect(badge.party.person?.badgeHolderName == "Pat Holder")
        }
    }

    @Test func expiryMoreThanThreeYearsAfterStartIsRejected() async throws {
        try await Self.withFake { c in
            let error = await #expect(throws: NationalServiceError.self) {
                try await c.westminster.orderBadge(Self.order(expiry: "2028-06-16"))
            }
            let rejection = Self.rejection(error)
            #expect(rejection?.message == "DateRange.badge.expiryDate")
            #expect(rejection?.fields == ["expiryDate"])
            // Exactly three years is allowed.
            let threeYears = try await c.westminster.orderBadge(Self.order(expiry: "2028-06-15"))
            #expect(BadgeNumber.isValid(threeYears))
        }
    }

    @Test func startInThePastIsRejected() async throws {
        try await Self.withFake { c in
            let error = await #expect(throws: NationalServiceError.self) {
                try await c.westminster.orderBadge(Self.order(start: "2025-06-14", expiry: "2028-06-13"))
            }
            #expect(Self.rejection(error)?.message == "DateInPast.badge.startDate")
            #expect(Self.rejection(error)?.fields == ["startDate"])
        }
    }

    @Test func futureDateOfBirthAndBadCodesAreRejected() async throws {
        try await Self.withFake { c in
            var order = Self.order()
            order.party.person?.dob = "2030-01-01"
            order.eligibilityCode = "TERMILL"
            let error = await #expect(throws: NationalServiceError.self) { try await c.westminster.orderBadge(order) }
            let rejection = Self.rejection(error)
            #expect(Set(rejection?.fields ?? []) == ["party.person.dob", "eligibilityCode"])
            #expect(rejection?.message.contains("Invalid.badge.eligibilityCode") == true)
        }
    }

    @Test func councilPlusFastIsRejectedByClientAndFake() async throws {
        try await Self.withFake { c in
            await #expect(throws: NationalServiceError.self) {
                try await c.westminster.orderBadge(Self.order(deliverTo: "COUNCIL", option: "FAST"))
            }
            #expect(c.fake.requests.isEmpty)

            // The fake enforces it too, with DfT's key.
            var request = HTTPClientRequest(url: c.base + "/badges")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(Self.westminsterToken)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(Self.order(deliverTo: "COUNCIL", option: "FAST"))))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            #expect(response.status.code == 400)
            let body = try await response.body.collect(upTo: 1 << 16)
            let envelope = try JSONDecoder().decode(NationalWire.ErrorResponse.self, from: Data(body.readableBytesView))
            #expect(
                envelope.error.errors?.contains(
                    NationalWire.FieldError(
                        field: "deliverToCode", reason: "Only 'standard' delivery option is available when delivering to council.",
                        message: "Invalid.badge.deliverOptionCode")) == true)
        }
    }

    @Test func duplicateOfALiveBadgeIsRejectedUntilCancelled() async throws {
        try await Self.withFake { c in
            let first = try await c.westminster.orderBadge(Self.order())
            let error = await #expect(throws: NationalServiceError.self) { try await c.westminster.orderBadge(Self.order()) }
            #expect(Self.rejection(error)?.message == "AlreadyExists.badge")
            try await c.westminster.cancelBadge(number: first, reason: "NOLONG")
            let reordered = try await c.westminster.orderBadge(Self.order())
            #expect(BadgeNumber.isValid(reordered))
        }
    }

    @Test func anotherCouncilsBadgeIsForbidden() async throws {
        try await Self.withFake { c in
            let number = try await c.westminster.orderBadge(Self.order())
            c.fake.markIssued(number)
            await #expect(throws: NationalServiceError.forbidden) { try await c.cardiff.badge(number: number) }
            await #expect(throws: NationalServiceError.forbidden) { try await c.cardiff.cancelBadge(number: number, reason: "REVOKE") }
            await #expect(throws: NationalServiceError.forbidden) {
                try await c.cardiff.replaceBadge(number: number, reason: "LOST", deliverTo: "HOME", deliveryOption: "STAND")
            }
            // Ordering for another council is forbidden too.
            await #expect(throws: NationalServiceError.forbidden) { try await c.cardiff.orderBadge(Self.order(la: "WSTMN")) }
            #expect(c.fake.badge(number)?.statusCode == "ISSUED")
            await #expect(throws: NationalServiceError.notFound) { try await c.westminster.badge(number: "AAAAAA") }
        }
    }

    @Test func cancelMovesAnOrderedOrIssuedBadgeToCancelledOnce() async throws {
        try await Self.withFake { c in
            let number = try await c.westminster.orderBadge(Self.order())
            try await c.westminster.cancelBadge(number: number, reason: "DECEASE")
            let badge = try await c.westminster.badge(number: number)
            #expect(badge.statusCode == "CANCELLED")
            #expect(badge.cancelReasonCode == "DECEASE")
            let again = await #expect(throws: NationalServiceError.self) {
                try await c.westminster.cancelBadge(number: number, reason: "DECEASE")
            }
            #expect(Self.rejection(again)?.message == "Invalid.badge.cancel.status")

            let issued = try await c.westminster.orderBadge(Self.order(name: "Issued Holder"))
            #expect(c.fake.markIssued(issued))
            try await c.westminster.cancelBadge(number: issued, reason: "STOLE")
            #expect(try await c.westminster.badge(number: issued).statusCode == "CANCELLED")

            let badReason = await #expect(throws: NationalServiceError.self) {
                try await c.westminster.cancelBadge(number: try await c.westminster.orderBadge(Self.order(name: "Third")), reason: "BORED")
            }
            #expect(Self.rejection(badReason)?.fields == ["cancelReasonCode"])
        }
    }

    @Test func replaceKeepsExpiryAndIssuesANewNumber() async throws {
        try await Self.withFake { c in
            let old = try await c.westminster.orderBadge(Self.order(expiry: "2027-01-31"))
            #expect(c.fake.markIssued(old))
            let new = try await c.westminster.replaceBadge(number: old, reason: "STOLE", deliverTo: "COUNCIL", deliveryOption: "STAND")
            #expect(BadgeNumber.isValid(new))
            #expect(new != old)

            let replaced = try await c.westminster.badge(number: old)
            #expect(replaced.statusCode == "REPLACED")
            #expect(replaced.replaceReasonCode == "STOLE")
            let fresh = try await c.westminster.badge(number: new)
            #expect(fresh.statusCode == "ORDERED")
            #expect(fresh.expiryDate == "2027-01-31")
            #expect(fresh.startDate == Self.today)
            #expect(fresh.party == replaced.party)
            #expect(fresh.replaceReasonCode == nil)
        }
    }

    @Test func replacingABadgeThatIsNotIssuedIsRejected() async throws {
        try await Self.withFake { c in
            let ordered = try await c.westminster.orderBadge(Self.order())
            let error = await #expect(throws: NationalServiceError.self) {
                try await c.westminster.replaceBadge(number: ordered, reason: "LOST", deliverTo: "HOME", deliveryOption: "FAST")
            }
            #expect(Self.rejection(error)?.message == "Invalid.badge.replace.badgeStatus")
            #expect(error?.kind == .invalid([]))
            #expect(try await c.westminster.badge(number: ordered).statusCode == "ORDERED")
            await #expect(throws: NationalServiceError.self) {
                try await c.westminster.replaceBadge(number: "KKJ", reason: "LOST", deliverTo: "HOME", deliveryOption: "STAND")
            }
        }
    }

    @Test func unreachableServiceIsUnavailable() async throws {
        let fake = NationalBlueBadgeFake(tokens: [Self.westminsterToken: "WSTMN"])
        let port = try await fake.start()
        await fake.stop()
        let client = NationalBlueBadgeClient(baseURL: "http://127.0.0.1:\(port)", token: Self.westminsterToken, timeout: .seconds(3))
        let error = await #expect(throws: NationalServiceError.self) { try await client.badge(number: "KKJKKJ") }
        guard case .unavailable = error else {
            Issue.record("expected .unavailable, got \(String(describing: error))")
            return
        }
    }

    // MARK: badge numbers

    @Test func base20EncodingMatchesTheNationalService() {
        #expect(BadgeNumber.encode(1234) == "31E")
        #expect(BadgeNumber.encode(-1) == "" && BadgeNumber.encode(0) == "0")
        #expect(BadgeNumber.encode(0) == "0")
        #expect(BadgeNumber.encode(63_999_999) == "KKKKKK")
        #expect(BadgeNumber.encode(3_200_000) == "100000")
        #expect(BadgeNumber.decode("72B9HA") == 22_811_950)
        #expect(BadgeNumber.decode("31e") == nil)
        for value in [1, 19, 20, 399, 3_199_999, 22_811_950, 63_999_998] {
            #expect(BadgeNumber.decode(BadgeNumber.encode(value)) == value)
        }
    }

    @Test func badgeNumberValidityAndBlacklist() {
        for good in ["KKJKKJ", "72B9HA", "095715", "BBBBBB"] { #expect(BadgeNumber.isValid(good)) }
        for bad in ["kkjkkj", "KKJKK", "KKJKKJK", "IIIIII", "ABCDEL", "", "72B9H "] { #expect(!BadgeNumber.isValid(bad)) }
        #expect(BadgeNumber.isBlacklisted("KKKKKK"))
        #expect(BadgeNumber.isBlacklisted("1DEAD2"))
        #expect(BadgeNumber.isBlacklisted("AJADE0"))
        #expect(!BadgeNumber.isBlacklisted("KKJKKJ"))
    }

    @Test func calendarDatesAreStrict() {
        #expect(NationalDate.isDay("2028-02-29"))
        #expect(!NationalDate.isDay("2027-02-29"))
        #expect(!NationalDate.isDay("2027-2-01"))
        #expect(NationalDate.adding(years: 3, to: "2024-02-29") == "2027-02-28")
        #expect(NationalDate.day(Self.now) == Self.today)
        #expect(NationalDate.instant(Self.now) == "2025-06-15T10:00:00Z")
    }
}
