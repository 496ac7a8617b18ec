import Foundation

/// How many backups are kept: the newest of each of the last `daily` days, of each of the last
/// `weekly` weeks and of each of the last `monthly` months (UTC), and always the newest one.
/// A backup kept by any rule stays; everything else is pruned after each new backup.
public struct BackupRetention: Sendable, Equatable {
    public var daily: Int
    public var weekly: Int
    public var monthly: Int

    public init(daily: Int = 7, weekly: Int = 5, monthly: Int = 12) {
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
    }

    /// `KERB_BACKUP_KEEP_DAILY`, `_WEEKLY`, `_MONTHLY` (whole numbers, 0 to 3,650; defaults 7, 5, 12).
    public static func fromEnvironment(_ env: [String: String]) throws(BackupError) -> BackupRetention {
        func count(_ key: String, _ fallback: Int) throws(BackupError) -> Int {
            guard let text = env[key], !text.isEmpty else { return fallback }
            guard let value = Int(text), (0...3_650).contains(value) else { throw .notSet("\(key) must be a whole number from 0 to 3650") }
            return value
        }
        return BackupRetention(
            daily: try count("KERB_BACKUP_KEEP_DAILY", 7), weekly: try count("KERB_BACKUP_KEEP_WEEKLY", 5),
            monthly: try count("KERB_BACKUP_KEEP_MONTHLY", 12))
    }

    /// Which of `backups` (complete ones: id and when taken) to keep at `now`.
    public func kept<ID: Hashable>(_ backups: [(id: ID, at: Date)], now: Date) -> Set<ID> {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let newestFirst = backups.sorted { $0.at > $1.at }
        var keep = Set<ID>()
        if let newest = newestFirst.first { keep.insert(newest.id) }
        func keepNewest(per component: Calendar.Component, count: Int) {
            guard count > 0 else { return }
            var seen = Set<Date>()
            for backup in newestFirst {
                guard let start = calendar.dateInterval(of: component, for: backup.at)?.start,
                    let earliest = calendar.date(
                        byAdding: component, value: -(count - 1), to: calendar.dateInterval(of: component, for: now)?.start ?? now),
                    start >= earliest
                else { continue }
                if seen.insert(start).inserted { keep.insert(backup.id) }
            }
        }
        keepNewest(per: .day, count: daily)
        keepNewest(per: .weekOfYear, count: weekly)
        keepNewest(per: .month, count: monthly)
        return keep
    }
}
