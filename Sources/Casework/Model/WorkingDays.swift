import Foundation
import KerbCore

/// Working days in a UK nation: Monday to Friday, less that nation's bank holidays. Review
/// clocks (seed 001 rec 4: five working days) count in these.
///
/// The regular holidays are computed (Easter by the Gregorian computus; a holiday on a weekend
/// moves to the next free weekday, as the UK substitutes it). One-off holidays proclaimed for
/// events (a coronation, a state funeral) are listed in `oneOff`.
public struct WorkingDays: Sendable {
    public let nation: Nation
    private let calendar: Calendar

    public init(nation: Nation) {
        self.nation = nation
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        self.calendar = calendar
    }

    /// The date `count` working days after `start`'s date (the day itself does not count).
    public func adding(_ count: Int, to start: Date) -> Date {
        var day = calendar.startOfDay(for: start)
        var remaining = count
        while remaining > 0 {
            day = calendar.date(byAdding: .day, value: 1, to: day)!
            if isWorkingDay(day) { remaining -= 1 }
        }
        return day
    }

    public func isWorkingDay(_ date: Date) -> Bool {
        let weekday = calendar.component(.weekday, from: date)
        guard weekday != 1, weekday != 7 else { return false }
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return !holidays(in: parts.year!).contains(DayOfYear(month: parts.month!, day: parts.day!))
    }

    struct DayOfYear: Hashable {
        let month: Int
        let day: Int
    }

    /// The nation's bank holidays in `year`.
    func holidays(in year: Int) -> Set<DayOfYear> {
        var fixed: [DayOfYear] = []  // in date order, so substitutes never collide
        var result: Set<DayOfYear> = []
        func add(_ date: DateComponents) { result.insert(DayOfYear(month: date.month!, day: date.day!)) }
        func date(_ month: Int, _ day: Int) -> Date { calendar.date(from: DateComponents(year: year, month: month, day: day))! }
        func components(_ date: Date) -> DateComponents { calendar.dateComponents([.month, .day], from: date) }

        // Holidays on fixed dates, moved off weekends in order (Christmas and Boxing Day chain).
        fixed.append(DayOfYear(month: 1, day: 1))
        if nation == .scotland { fixed.append(DayOfYear(month: 1, day: 2)) }
        if nation == .northernIreland {
            fixed.append(DayOfYear(month: 3, day: 17))
            fixed.append(DayOfYear(month: 7, day: 12))
        }
        if nation == .scotland { fixed.append(DayOfYear(month: 11, day: 30)) }
        fixed.append(DayOfYear(month: 12, day: 25))
        fixed.append(DayOfYear(month: 12, day: 26))
        for holiday in fixed {
            var day = date(holiday.month, holiday.day)
            while [1, 7].contains(calendar.component(.weekday, from: day))
                || result.contains(DayOfYear(month: components(day).month!, day: components(day).day!))
            {
                day = calendar.date(byAdding: .day, value: 1, to: day)!
            }
            add(components(day))
        }

        let easter = Self.easterSunday(year, calendar)
        add(components(calendar.date(byAdding: .day, value: -2, to: easter)!))  // Good Friday
        if nation != .scotland { add(components(calendar.date(byAdding: .day, value: 1, to: easter)!)) }  // Easter Monday
        add(components(firstMonday(year, 5)))  // early May
        add(components(lastMonday(year, 5)))  // spring
        add(components(nation == .scotland ? firstMonday(year, 8) : lastMonday(year, 8)))  // summer
        for moved in Self.movedAway[year, default: []] { result.remove(moved) }
        for extra in Self.oneOff[year, default: []] where extra.nations.contains(nation) {
            result.insert(DayOfYear(month: extra.month, day: extra.day))
        }
        return result
    }

    private func firstMonday(_ year: Int, _ month: Int) -> Date {
        var day = calendar.date(from: DateComponents(year: year, month: month, day: 1))!
        while calendar.component(.weekday, from: day) != 2 { day = calendar.date(byAdding: .day, value: 1, to: day)! }
        return day
    }

    private func lastMonday(_ year: Int, _ month: Int) -> Date {
        var day = calendar.date(byAdding: .day, value: -1, to: calendar.date(from: DateComponents(year: year, month: month + 1, day: 1))!)!
        while calendar.component(.weekday, from: day) != 2 { day = calendar.date(byAdding: .day, value: -1, to: day)! }
        return day
    }

    /// Easter Sunday (anonymous Gregorian algorithm).
    static func easterSunday(_ year: Int, _ calendar: Calendar) -> Date {
        let a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1
        return calendar.date(from: DateComponents(year: year, month: month, day: day))!
    }

    /// Proclaimed one-off holidays, and the new dates of moved ones, by year.
    static let oneOff: [Int: [(month: Int, day: Int, nations: Set<Nation>)]] = [
        2020: [(5, 8, Set(Nation.allCases))],  // VE Day (early May moved)
        2022: [(6, 2, Set(Nation.allCases)), (6, 3, Set(Nation.allCases)), (9, 19, Set(Nation.allCases))],  // Jubilee; State Funeral
        2023: [(5, 8, Set(Nation.allCases))],  // Coronation
    ]

    /// Regular holidays that were moved to a one-off date that year.
    static let movedAway: [Int: [DayOfYear]] = [
        2020: [DayOfYear(month: 5, day: 4)],
        2022: [DayOfYear(month: 5, day: 30)],
    ]
}
