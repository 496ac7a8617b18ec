import Foundation

/// A calendar day in the UK, as badges, reviews and the national service count them
/// (`YYYY-MM-DD`, Europe/London): a badge "starts today" by the council's clock, not UTC's.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/London")!
        return calendar
    }()

    /// The day `date` falls on in the UK.
    public init(_ date: Date) {
        let parts = Self.calendar.dateComponents([.year, .month, .day], from: date)
        self.init(valid: parts.year!, parts.month!, parts.day!)
    }

    private init(valid year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; nil for anything else, including days that do not exist.
    public init?(iso: String) {
        let parts = iso.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let date = Self.calendar.date(from: DateComponents(year: year, month: month, day: day)),
            Self.calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: year, month: month, day: day)
        else { return nil }
        self.init(valid: year, month, day)
    }

    /// Midnight at the start of the day, UK time.
    public var date: Date { Self.calendar.date(from: DateComponents(year: year, month: month, day: day))! }

    /// Midnight UTC: how a date of birth is bound to a `date` column without a time zone shift.
    public var utcMidnight: Date {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = .gmt
        return utc.date(from: DateComponents(year: year, month: month, day: day))!
    }

    public var iso: String { String(format: "%04d-%02d-%02d", year, month, day) }
    public var description: String { iso }

    /// A long form for letters and pages: "24 November 2026".
    public var long: String {
        date.formatted(
            Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: Self.calendar.timeZone))
    }

    /// Calendar arithmetic; a month end clamps (31 January + 1 month is 28 or 29 February).
    public func adding(months: Int = 0, days: Int = 0) -> Day {
        Day(Self.calendar.date(byAdding: DateComponents(month: months, day: days), to: date)!)
    }

    public static func < (lhs: Day, rhs: Day) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }
}
