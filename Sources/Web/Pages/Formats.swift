import Foundation

/// How dates and devices read on pages: UK style, in UK time.
enum Formats {
    private static let london = TimeZone(identifier: "Europe/London") ?? .gmt

    static func date(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: london))
    }

    static func dateTime(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .abbreviated, time: .shortened, locale: Locale(identifier: "en_GB"), timeZone: london))
    }

    static func pounds(_ pence: Int) -> String { String(format: "£%d.%02d", pence / 100, pence % 100) }

    /// A short, recognisable name for a browser's User-Agent (never shown whole: it is long and noisy).
    static func device(_ userAgent: String) -> String {
        let browsers = ["Edg": "Edge", "Firefox": "Firefox", "Chrome": "Chrome", "Safari": "Safari"]
        let systems = ["Windows": "Windows", "Mac OS": "Mac", "iPhone": "iPhone", "Android": "Android", "Linux": "Linux"]
        let browser = ["Edg", "Firefox", "Chrome", "Safari"].first { userAgent.contains($0) }.flatMap { browsers[$0] }
        let system = ["Windows", "iPhone", "Android", "Mac OS", "Linux"].first { userAgent.contains($0) }.flatMap { systems[$0] }
        switch (browser, system) {
        case let (b?, s?): return "\(b) on \(s)"
        case let (b?, nil): return b
        case let (nil, s?): return s
        default: return String(userAgent.prefix(40))
        }
    }
}
