import Casework
import Foundation
import KerbCore
import Testing

/// Bank holidays and working days per nation, against the dates GOV.UK publishes.
@Suite struct WorkingDaysTests {
    static func day(_ text: String) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        let parts = text.split(separator: "-").map { Int($0)! }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 10))!
    }

    static func holidays(_ nation: Nation, _ year: Int) -> [String] {
        let days = WorkingDays(nation: nation)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        var date = calendar.date(from: DateComponents(year: year, month: 1, day: 1, hour: 10))!
        var found: [String] = []
        while calendar.component(.year, from: date) == year {
            let weekday = calendar.component(.weekday, from: date)
            if weekday != 1, weekday != 7, !days.isWorkingDay(date) {
                let c = calendar.dateComponents([.month, .day], from: date)
                found.append(String(format: "%02d-%02d", c.month!, c.day!))
            }
            date = calendar.date(byAdding: .day, value: 1, to: date)!
        }
        return found
    }

    @Test func bankHolidaysMatchGOVUKFor2026And2027() {
        #expect(Self.holidays(.england, 2026) == ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"])
        #expect(Self.holidays(.wales, 2026) == Self.holidays(.england, 2026))
        #expect(Self.holidays(.scotland, 2026) == ["01-01", "01-02", "04-03", "05-04", "05-25", "08-03", "11-30", "12-25", "12-28"])
        #expect(
            Self.holidays(.northernIreland, 2026) == [
                "01-01", "03-17", "04-03", "04-06", "05-04", "05-25", "07-13", "08-31", "12-25", "12-28",
            ])
        // Christmas on a Saturday and Boxing Day on a Sunday: Monday and Tuesday instead.
        #expect(Self.holidays(.england, 2027) == ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"])
        // 2022: spring holiday moved to 2 June, the Jubilee on 3 June and the State Funeral.
        #expect(
            Self.holidays(.england, 2022) == ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"])
    }

    @Test func fiveWorkingDaysSkipWeekendsAndTheNationsHolidays() {
        let christmasEve = Self.day("2026-12-24")
        let england = WorkingDays(nation: .england).adding(5, to: christmasEve)
        let scotland = WorkingDays(nation: .scotland).adding(5, to: christmasEve)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        // England: 29, 30, 31 Dec, 4, 5 Jan (1 Jan is a holiday). Scotland also keeps 2 Jan (a Saturday → 4 Jan).
        #expect(calendar.dateComponents([.year, .month, .day], from: england) == DateComponents(year: 2027, month: 1, day: 5))
        #expect(calendar.dateComponents([.year, .month, .day], from: scotland) == DateComponents(year: 2027, month: 1, day: 6))
        #expect(calendar.isDate(WorkingDays(nation: .wales).adding(1, to: Self.day("2026-11-27")), inSameDayAs: Self.day("2026-11-30")))
    }
}
