import Foundation
import Synchronization

/// The time as Kerb's services read it. Injected (never `Date()` in a use case) so that tests move
/// time forward instead of rewriting rows, and so that one request reads one "now".
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    public func now() -> Date { read() }

    /// The machine's clock.
    public static let system = WallClock { Date() }

    /// Always `date`.
    public static func fixed(_ date: Date) -> WallClock { WallClock { date } }
}

/// A clock a test sets and moves by hand; `clock` reads it.
public final class ManualTime: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date) { current = Mutex(start) }

    public var clock: WallClock { WallClock { [self] in current.withLock { $0 } } }

    public func advance(by interval: TimeInterval) { current.withLock { $0 += interval } }

    public func set(_ date: Date) { current.withLock { $0 = date } }
}
