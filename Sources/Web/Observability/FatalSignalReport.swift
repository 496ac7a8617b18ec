import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// When `kerb serve` crashes (a Swift runtime trap is SIGILL or SIGTRAP, then SIGABRT, SIGSEGV,
/// SIGBUS), writes one JSON log line naming the requests in flight (`InFlightRequests`), lets the
/// handler that was there before run (the Swift runtime's backtracer prints its backtrace), and
/// then the process dies of the same signal, so a supervisor sees the crash and restarts it.
///
/// A signal handler runs in the middle of whatever broke, so the line is built only with
/// async-signal-safe means: a buffer allocated at install time, integer and byte copies, atomics,
/// `clock_gettime`, `getpid`, `write`, `sigaction` and `raise`. No locks, no allocation, no
/// Foundation. It lists request ids, never paths, queries or bodies.
public enum FatalSignalReport {
    /// The signals reported.
    public static let signals: [Int32] = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGSEGV]

    /// At most this many ids are listed (the rest are counted), so the line stays below
    /// PIPE_BUF and reaches a pipe in one piece.
    public static let maxListed = 64
    /// Enough for the fixed part and `maxListed` ids of `InFlightRequests.maxIDLength`.
    public static let lineCapacity = 512 + maxListed * (InFlightRequests.maxIDLength + 3)

    /// Everything the handler reads, made at install time.
    private struct Installed {
        let registry: InFlightRequests
        let fileDescriptor: Int32
        let line: UnsafeMutablePointer<UInt8>
        let scratch: UnsafeMutablePointer<UInt8>
        /// The dispositions found at install, indexed by signal number.
        let previous: UnsafeMutablePointer<sigaction>
    }

    // SAFETY: written once by `install` before any handler is set, then only read.
    nonisolated(unsafe) private static var installed: Installed?
    /// Set by the first crashing thread, so two crashing at once do not interleave their lines.
    private static let reporting = Atomic<Bool>(false)

    /// Installs the handler for `signals`, reporting `registry` on `fileDescriptor` (stdout, where
    /// the JSON logs go). Call once, early in `kerb serve`, before any request is served.
    public static func install(registry: InFlightRequests = .shared, fileDescriptor: Int32 = STDOUT_FILENO) {
        guard installed == nil else { return }
        let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 64)
        previous.initialize(repeating: sigaction(), count: 64)
        installed = Installed(
            registry: registry, fileDescriptor: fileDescriptor, line: .allocate(capacity: lineCapacity),
            scratch: .allocate(capacity: InFlightRequests.maxIDLength), previous: previous)
        // Statics are made on first use; make them now, not inside the handler.
        _ = reporting.load(ordering: .relaxed)
        for signal in signals {
            var action = sigaction()
            #if canImport(Glibc)
                action.__sigaction_handler.sa_sigaction = fatalSignalHandler
            #else
                action.__sigaction_u.__sa_sigaction = fatalSignalHandler
            #endif
            sigemptyset(&action.sa_mask)
            // With the signal's information, to hand on to the previous handler, and on the
            // alternate stack where a thread has one.
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigaction(signal, &action, previous + Int(signal))
        }
    }

    /// Runs in the signal handler: report, let the previous handler run, then die of the signal.
    fileprivate static func handle(
        _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
    ) {
        guard let installed else { return }
        if !reporting.exchange(true, ordering: .acquiringAndReleasing) {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let length = render(
                signal: signal, registry: installed.registry, epochSeconds: Int(now.tv_sec), milliseconds: Int(now.tv_nsec) / 1_000_000,
                pid: Int(getpid()), into: installed.line, capacity: lineCapacity, scratch: installed.scratch)
            writeAll(installed.fileDescriptor, installed.line, length)
        }
        // The handler that was there before (Swift's backtracer, by default) is called directly,
        // with the real signal information and context, so its report is as it would have been.
        // It may return without ending the process (it relies on a fault happening again), so
        // then the default action is restored and the signal raised: it is blocked while this
        // handler runs and ends the process, with this signal, as soon as the handler returns.
        let previous = installed.previous[Int(signal)]
        #if canImport(Glibc)
            let handler = previous.__sigaction_handler
        #else
            let handler = previous.__sigaction_u
        #endif
        let disposition = unsafeBitCast(handler.sa_handler, to: Int.self)
        let isFunction = disposition != unsafeBitCast(SIG_DFL, to: Int.self) && disposition != unsafeBitCast(SIG_IGN, to: Int.self)
        if isFunction {
            if previous.sa_flags & SA_SIGINFO != 0 {
                handler.sa_sigaction?(signal, info, context)
            } else {
                handler.sa_handler?(signal)
            }
        }
        var fallback = sigaction()
        sigemptyset(&fallback.sa_mask)
        sigaction(signal, &fallback, nil)
        raise(signal)
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeMutablePointer<UInt8>, _ count: Int) {
        var written = 0
        while written < count {
            let result = write(fd, bytes + written, count - written)
            if result > 0 {
                written += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Builds the report line into `buffer` and returns its length. Async-signal-safe; also
    /// called by tests, which is why the clock and pid come in as arguments.
    public static func render(
        signal: Int32, registry: InFlightRequests, epochSeconds: Int, milliseconds: Int, pid: Int,
        into buffer: UnsafeMutablePointer<UInt8>, capacity: Int, scratch: UnsafeMutablePointer<UInt8>
    ) -> Int {
        var line = LineBuffer(base: buffer, capacity: capacity)
        line.append("{\"ts\":\"")
        line.appendTimestamp(epochSeconds: epochSeconds, milliseconds: milliseconds)
        line.append("\",\"level\":\"critical\",\"logger\":\"kerb\",\"msg\":\"Fatal signal; the requests in flight are listed\"")
        line.append(",\"signal\":\"")
        line.append(name(of: signal))
        line.append("\",\"signal.number\":")
        line.appendDecimal(Int(signal))
        line.append(",\"pid\":")
        line.appendDecimal(pid)
        line.append(",\"hb.request.ids\":[")
        var listed = 0
        var seen = 0
        registry.forEachID(scratch: scratch) { id in
            seen += 1
            guard listed < maxListed else { return }
            if listed > 0 { line.append(",") }
            line.append("\"")
            line.append(id)
            line.append("\"")
            listed += 1
        }
        line.append("],\"requests.in_flight\":")
        line.appendDecimal(seen + max(0, registry.overflow))
        line.append("}\n")
        return line.count
    }

    private static func name(of signal: Int32) -> StaticString {
        switch signal {
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGSEGV: "SIGSEGV"
        default: "other"
        }
    }
}

/// The C function the kernel calls: a plain function, so no closure context is involved.
private func fatalSignalHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    FatalSignalReport.handle(signal, info, context)
}

/// Appends bytes to a fixed buffer, dropping what does not fit (`lineCapacity` is sized so
/// that nothing has to be dropped).
private struct LineBuffer {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    mutating func append(_ byte: UInt8) {
        guard count < capacity else { return }
        base[count] = byte
        count += 1
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
            for byte in bytes { append(byte) }
        }
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes { append(byte) }
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    mutating func appendDecimal(_ value: Int, width: Int = 1) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        var digits = 1
        while magnitude / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        for _ in digits..<max(digits, width) { append(UInt8(ascii: "0")) }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }

    /// `2025-01-31T12:34:56.789Z`, as JSONLogHandler writes it, from days since 1970 by
    /// Howard Hinnant's civil-from-days algorithm (no time zone database, no locks).
    mutating func appendTimestamp(epochSeconds: Int, milliseconds: Int) {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondsOfDay = epochSeconds - days * 86_400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        appendDecimal(year, width: 4)
        append(UInt8(ascii: "-"))
        appendDecimal(month, width: 2)
        append(UInt8(ascii: "-"))
        appendDecimal(day, width: 2)
        append(UInt8(ascii: "T"))
        appendDecimal(secondsOfDay / 3600, width: 2)
        append(UInt8(ascii: ":"))
        appendDecimal(secondsOfDay / 60 % 60, width: 2)
        append(UInt8(ascii: ":"))
        appendDecimal(secondsOfDay % 60, width: 2)
        append(UInt8(ascii: "."))
        appendDecimal(milliseconds, width: 3)
        append(UInt8(ascii: "Z"))
    }
}
