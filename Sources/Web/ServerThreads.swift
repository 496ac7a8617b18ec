import NIOCore
import NIOPosix

/// Where a serving process runs its Swift Concurrency jobs.
public enum ServerThreads {
    /// Runs Swift Concurrency's jobs on NIO's event loops (the threads that already serve HTTP and
    /// PostgreSQL) instead of a second pool of threads, so a request no longer hops between the
    /// two at every `await` on I/O: the API read benchmark spent 2–4 % of the machine in
    /// context switches and dispatch before. Call it first thing in `main`, on the main thread,
    /// before any task starts. `KERB_CONCURRENCY_ON_EVENT_LOOPS=0` keeps Swift's own pool, to
    /// compare the two.
    public static func runConcurrencyOnEventLoops(environment: [String: String]) {
        guard environment["KERB_CONCURRENCY_ON_EVENT_LOOPS"] != "0" else { return }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
