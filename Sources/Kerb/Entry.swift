import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The process's entry point, ahead of the command line.
@main
enum Entry {
    /// Swift Concurrency's jobs run on NIO's event loops (the threads that already serve HTTP and
    /// PostgreSQL) instead of a second pool of threads, so a request no longer hops between the
    /// two at every `await` on I/O. This must happen on the main thread before any task starts,
    /// hence here. `KERB_CONCURRENCY_ON_EVENT_LOOPS=0` keeps Swift's own pool (to compare them).
    static func main() async {
        if ProcessInfo.processInfo.environment["KERB_CONCURRENCY_ON_EVENT_LOOPS"] != "0" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Kerb.main()
    }
}
