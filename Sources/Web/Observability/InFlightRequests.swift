import Synchronization

/// The ids of the requests being handled right now, kept where a fatal-signal handler can read
/// them (`FatalSignalReport`), so a crash is logged with the request that caused it.
///
/// A signal handler may not lock, allocate or touch reference counts, so this is a fixed table
/// of atomic words allocated once: `enter` claims a free slot and copies the id in, `leave`
/// frees it, and a reader copies only slots that stayed unchanged while it read them (each slot
/// carries a generation, like a sequence lock). Request ids are Hummingbird's counters, not
/// personal data; nothing else about a request is kept.
public struct InFlightRequests: @unchecked Sendable {
    // SAFETY: `words` is allocated once and never freed (the shared table lives as long as the
    // process); every access is an atomic load, store or compare-and-exchange.
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    /// How many requests can be listed at once; more are still counted.
    public let capacity: Int

    /// The longest id kept, in bytes (Hummingbird's are at most 32 hex digits).
    public static let maxIDLength = 48
    private static let wordsPerSlot = 2 + maxIDLength / 8
    /// Words before the slots: a cursor spreading claims over the table, and the number of
    /// requests that found it full.
    private static let header = 2

    /// The table the web process's middleware fills and its crash report reads.
    public static let shared = InFlightRequests(capacity: 1024)

    /// A table of its own (tests); `shared` is the one `kerb serve` uses.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        let count = Self.header + self.capacity * Self.wordsPerSlot
        words = .allocate(capacity: count)
        for index in 0..<count { (words + index).initialize(to: Atomic(0)) }
    }

    /// A claimed slot; give it back to `leave`.
    public struct Token: Sendable {
        fileprivate let slot: Int
        fileprivate let word: UInt64
    }

    // A slot's state word: generation << 2 | phase. The generation grows at every claim, so a
    // reader that sees the same word before and after copying knows the id did not change.
    private static let free: UInt64 = 0
    private static let writing: UInt64 = 1
    private static let occupied: UInt64 = 2

    private func state(_ slot: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        words + Self.header + slot * Self.wordsPerSlot
    }

    /// Records `id` as in flight. Bytes other than letters, digits, `-`, `_` and `.` are
    /// dropped, so the crash report can write ids into JSON without escaping.
    public func enter(_ id: String) -> Token {
        let start = Int(words[0].wrappingAdd(1, ordering: .relaxed).oldValue % UInt64(capacity))
        for probe in 0..<capacity {
            let slot = (start + probe) % capacity
            let state = self.state(slot)
            let seen = state.pointee.load(ordering: .relaxed)
            guard seen & 3 == Self.free else { continue }
            let generation = (seen >> 2) &+ 1
            let claimed = generation << 2 | Self.writing
            guard state.pointee.compareExchange(expected: seen, desired: claimed, ordering: .acquiringAndReleasing).exchanged else {
                continue
            }
            write(id, at: state)
            let word = generation << 2 | Self.occupied
            state.pointee.store(word, ordering: .releasing)
            return Token(slot: slot, word: word)
        }
        words[1].wrappingAdd(1, ordering: .relaxed)
        return Token(slot: -1, word: 0)
    }

    /// The request is answered (or failed): its id is no longer in flight.
    public func leave(_ token: Token) {
        if token.slot < 0 {
            words[1].wrappingSubtract(1, ordering: .relaxed)
            return
        }
        state(token.slot).pointee.store(token.word & ~3 | Self.free, ordering: .releasing)
    }

    /// Slot layout after the state word: the id's length, then its bytes packed eight a word.
    private func write(_ id: String, at state: UnsafeMutablePointer<Atomic<UInt64>>) {
        var length = 0
        var packed: UInt64 = 0
        for byte in id.utf8 where Self.isIDByte(byte) {
            guard length < Self.maxIDLength else { break }
            packed |= UInt64(byte) << (UInt64(length % 8) * 8)
            length += 1
            if length % 8 == 0 {
                state[1 + length / 8].store(packed, ordering: .relaxed)
                packed = 0
            }
        }
        if length % 8 != 0 { state[2 + length / 8].store(packed, ordering: .relaxed) }
        state[1].store(UInt64(length), ordering: .relaxed)
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    /// Requests in flight that found the table full (counted, not listed).
    public var overflow: Int { Int(truncatingIfNeeded: Int64(bitPattern: words[1].load(ordering: .relaxed))) }

    /// Calls `body` with each id in flight, copied into `scratch` (at least `maxIDLength` bytes),
    /// skipping slots that changed while being read. Allocates nothing and takes no lock, so a
    /// signal handler may call it.
    public func forEachID(scratch: UnsafeMutablePointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        for slot in 0..<capacity {
            let state = self.state(slot)
            let before = state.pointee.load(ordering: .acquiring)
            guard before & 3 == Self.occupied else { continue }
            let length = min(Int(state[1].load(ordering: .relaxed)), Self.maxIDLength)
            var word: UInt64 = 0
            for index in 0..<length {
                if index % 8 == 0 { word = state[2 + index / 8].load(ordering: .relaxed) }
                scratch[index] = UInt8(truncatingIfNeeded: word >> (UInt64(index % 8) * 8))
            }
            atomicMemoryFence(ordering: .acquiring)
            guard state.pointee.load(ordering: .relaxed) == before else { continue }
            body(UnsafeBufferPointer(start: scratch, count: length))
        }
    }

    /// The ids in flight, for tests and diagnostics (allocates: never from a signal handler).
    public func snapshot() -> [String] {
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.maxIDLength)
        defer { scratch.deallocate() }
        var ids: [String] = []
        forEachID(scratch: scratch) { ids.append(String(decoding: $0, as: UTF8.self)) }
        return ids
    }
}
