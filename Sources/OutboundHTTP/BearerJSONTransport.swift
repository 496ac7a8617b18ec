import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One JSON request to an external service with a bearer credential: the part every Kerb client
/// of a government API (GOV.UK Pay, the national Blue Badge service, later GOV.UK Notify) does the
/// same way. Each client maps the status and body to its own errors; transport failures come
/// back as ``TransportFailure`` with words safe to show (never the URL's secrets or the token).
public struct BearerJSONTransport: Sendable {
    public let baseURL: String
    let httpClient: HTTPClient
    let timeout: TimeAmount
    let accept: String
    let maxResponseBytes: Int

    public init(baseURL: String, httpClient: HTTPClient, timeout: TimeAmount, accept: String = "application/json", maxResponseBytes: Int) {
        var baseURL = baseURL
        while baseURL.hasSuffix("/") { baseURL.removeLast() }
        self.baseURL = baseURL
        self.httpClient = httpClient
        self.timeout = timeout
        self.accept = accept
        self.maxResponseBytes = maxResponseBytes
    }

    public struct Reply: Sendable {
        public let status: Int
        public let body: Data
    }

    /// Sends `method path?query` with `Authorization: Bearer <credential>` and an optional JSON
    /// body; returns whatever status came back. Only the connection failing throws.
    public func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], credential: String, body: Data?, logger: Logger?
    ) async throws -> Reply {
        var url = baseURL + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            // `+` in an ISO-8601 offset would read as a space.
            url += "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        request.headers.add(name: "Accept", value: accept)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            return Reply(status: Int(response.status.code), body: Data(bytes.readableBytesView))
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                throw TransportFailure.timedOut
            case .remoteConnectionClosed: throw TransportFailure.closed
            default: throw TransportFailure.connectionFailed
            }
        } catch {
            throw TransportFailure.connectionFailed
        }
    }
}

/// Why a request got no answer, in words a council officer may read.
public enum TransportFailure: Error, Sendable, CustomStringConvertible {
    case timedOut, closed, connectionFailed

    public var description: String {
        switch self {
        case .timedOut: "it did not answer in time"
        case .closed: "it closed the connection"
        case .connectionFailed: "the connection failed"
        }
    }
}
