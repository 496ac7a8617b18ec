import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Runs one fake's router on a local socket, so tests can bind port 0 and learn the real port and
/// the demo can run the fakes beside Kerb in the same process.
final class FakeServer: Sendable {
    enum Phase {
        case idle
        case starting
        case running(task: Task<Void, any Error>, group: ServiceGroup, port: Int)
    }

    private let phase = NIOLockedValueBox(Phase.idle)
    private let bound = NIOLockedValueBox<String?>(nil)

    /// Where clients reach the server once started, e.g. `http://127.0.0.1:54321`.
    var baseURL: String? { bound.withLockedValue { $0 } }

    /// Binds `host:port` (0 picks a free port), serves `router` until ``stop()``, and returns the
    /// bound port once the server accepts connections.
    func start(router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger) async throws -> Int {
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        let onBound: @Sendable (Int) -> Void = { [bound] port in bound.withLockedValue { $0 = "http://\(shown):\(port)" } }
        try phase.withLockedValue { phase in
            guard case .idle = phase else { throw FakeServerError.alreadyStarted }
            phase = .starting
        }
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                onBound(port)
                continuation.yield(port)
                continuation.finish()
            },
            logger: logger
        )
        // Run as a service, so stopping is a graceful shutdown (connections closed, nothing
        // logged as an error) rather than a cancelled task.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task<Void, any Error> {
            defer { continuation.finish() }
            try await group.run()
        }
        for await port in bound {
            phase.withLockedValue { $0 = .running(task: task, group: group, port: port) }
            return port
        }
        // The server stopped before it was listening: report why.
        phase.withLockedValue { $0 = .idle }
        try await task.value
        throw FakeServerError.stoppedBeforeListening
    }

    /// Stops the server and waits for it to close its socket. Safe to call more than once.
    func stop() async {
        let running: (Task<Void, any Error>, ServiceGroup)? = phase.withLockedValue { phase in
            guard case .running(let task, let group, _) = phase else { return nil }
            phase = .idle
            return (task, group)
        }
        guard let (task, group) = running else { return }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

/// Why a fake server did not start.
public enum FakeServerError: Error, Sendable, Equatable {
    case alreadyStarted
    case stoppedBeforeListening
}

/// Small pieces both fakes use.
enum FakeHTTP {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The bearer token of `Authorization: Bearer …`, if there is one.
    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func body(_ request: Request) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        return Data(buffer.readableBytesView)
    }

    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A logger that writes nothing, for fakes nobody asked to hear from.
    static let silent = Logger(label: "kerb.contract-fake", factory: { _ in SwiftLogNoOpLogHandler() })
}
