import Foundation
import Web

/// The process's entry point: where jobs run is settled before the command line is read.
@main
enum Entry {
    static func main() async {
        ServerThreads.runConcurrencyOnEventLoops(environment: ProcessInfo.processInfo.environment)
        await Kerb.main()
    }
}
