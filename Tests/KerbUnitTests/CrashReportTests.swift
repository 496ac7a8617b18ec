import Foundation
import Hummingbird
import Logging
import Testing
import Web

/// The crash report's parts: the table of requests in flight, the line the signal handler
/// writes, and the middleware that fills the table. The handler itself, on a real `kerb serve`
/// killed with SIGILL, is checked end to end by `infra/e2e/crash-recovery.sh` (run by `infra/test`).
@Suite struct CrashReportTests {
    static let logger = Logger(label: "test")

    @Test func requestsAreListedWhileInFlightAndNotAfter() {
        let registry = InFlightRequests(capacity: 8)
        let a = registry.enter("5c1f0000000000000000000000000001")
        let b = registry.enter("5c1f0000000000000000000000000002")
        let c = registry.enter("5c1f0000000000000000000000000003")
        registry.leave(b)
        #expect(Set(registry.snapshot()) == ["5c1f0000000000000000000000000001", "5c1f0000000000000000000000000003"])
        registry.leave(a)
        registry.leave(c)
        #expect(registry.snapshot().isEmpty)
        // Freed slots are reused.
        let tokens = (0..<8).map { registry.enter("id\($0)") }
        #expect(registry.snapshot().count == 8 && registry.overflow == 0)
        tokens.forEach(registry.leave)
        #expect(registry.snapshot().isEmpty)
    }

    @Test func onlySafeCharactersAreKeptAndLongIDsAreCut() {
        let registry = InFlightRequests(capacity: 4)
        let token = registry.enter("a\"b\\c/d?e=f g\nh")
        #expect(registry.snapshot() == ["abcdefgh"])
        registry.leave(token)
        let long = String(repeating: "0123456789", count: 10)
        let cut = registry.enter(long)
        #expect(registry.snapshot() == [String(long.prefix(InFlightRequests.maxIDLength))])
        registry.leave(cut)
    }

    @Test func aFullTableCountsWhatItCannotList() {
        let registry = InFlightRequests(capacity: 2)
        let tokens = ["one", "two", "three"].map(registry.enter)
        #expect(registry.snapshot().count == 2)
        #expect(registry.overflow == 1)
        tokens.forEach(registry.leave)
        #expect(registry.snapshot().isEmpty && registry.overflow == 0)
    }

    @Test func concurrentRequestsLeaveTheTableEmpty() async {
        let registry = InFlightRequests(capacity: 16)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for round in 0..<500 {
                        let token = registry.enter("t\(task)r\(round)")
                        registry.leave(token)
                    }
                }
            }
        }
        #expect(registry.snapshot().isEmpty && registry.overflow == 0)
    }

    /// Renders the line as the signal handler would, and parses it as the log shipper would.
    static func render(_ registry: InFlightRequests, signal: Int32 = SIGILL, at seconds: Int = 0, milliseconds: Int = 0) throws -> (
        text: String, json: [String: Any]
    ) {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: FatalSignalReport.lineCapacity)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: InFlightRequests.maxIDLength)
        defer {
            buffer.deallocate()
            scratch.deallocate()
        }
        let length = FatalSignalReport.render(
            signal: signal, registry: registry, epochSeconds: seconds, milliseconds: milliseconds, pid: 4242, into: buffer,
            capacity: FatalSignalReport.lineCapacity, scratch: scratch)
        let data = Data(bytes: buffer, count: length)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (String(decoding: data, as: UTF8.self), json)
    }

    @Test func theReportIsOneJSONLogLineWithTheRequestIDs() throws {
        let registry = InFlightRequests(capacity: 8)
        let tokens = ["9e3a00000000000000000000000000aa", "9e3a00000000000000000000000000bb"].map(registry.enter)
        defer { tokens.forEach(registry.leave) }
        let (text, json) = try Self.render(registry, at: 1_709_164_800, milliseconds: 7)
        #expect(text.hasSuffix("}\n") && text.filter { $0 == "\n" }.count == 1)
        #expect(json["ts"] as? String == "2024-02-29T00:00:00.007Z")
        #expect(json["level"] as? String == "critical")
        #expect(json["logger"] as? String == "kerb")
        #expect(json["signal"] as? String == "SIGILL")
        #expect(json["signal.number"] as? Int == Int(SIGILL))
        #expect(json["pid"] as? Int == 4242)
        #expect(Set(json["hb.request.ids"] as? [String] ?? []) == ["9e3a00000000000000000000000000aa", "9e3a00000000000000000000000000bb"])
        #expect(json["requests.in_flight"] as? Int == 2)
        // Nothing but these keys: no paths, queries or bodies can reach the line.
        #expect(
            Set(json.keys) == ["ts", "level", "logger", "msg", "signal", "signal.number", "pid", "hb.request.ids", "requests.in_flight"])
    }

    @Test func theTimestampMatchesTheJSONLogsFormat() throws {
        let registry = InFlightRequests(capacity: 1)
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for seconds in [0, 951_782_400, 1_735_689_599, 4_102_444_800, 1_234_567_890] {
            // Half a second is exact in binary, so Foundation's rounding cannot differ.
            let (_, json) = try Self.render(registry, at: seconds, milliseconds: 500)
            let expected = Date(timeIntervalSince1970: Double(seconds) + 0.5).formatted(style)
            #expect(json["ts"] as? String == expected)
        }
        #expect(try Self.render(registry, signal: SIGSEGV).json["signal"] as? String == "SIGSEGV")
        #expect(try Self.render(registry, signal: SIGABRT).json["signal"] as? String == "SIGABRT")
    }

    @Test func manyRequestsStillMakeOneShortLine() throws {
        let registry = InFlightRequests(capacity: 200)
        let tokens = (0..<150).map { registry.enter(String(format: "%032x", $0)) }
        defer { tokens.forEach(registry.leave) }
        let (text, json) = try Self.render(registry)
        #expect((json["hb.request.ids"] as? [String])?.count == FatalSignalReport.maxListed)
        #expect(json["requests.in_flight"] as? Int == 150)
        // Below PIPE_BUF, so one write reaches a pipe (journald, a log shipper) in one piece.
        #expect(text.utf8.count < 4096)
    }
}
