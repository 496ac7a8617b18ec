import Foundation
import KerbCore
import Logging
import NIOConcurrencyHelpers
import Notify
import PostgresNIO
import Storage

/// Sends a council's outbox through GOV.UK Notify and reads delivery back.
///
/// Any number of `kerb serve` processes may run it at once: a message is claimed in its own
/// committed transaction (`FOR UPDATE SKIP LOCKED`, state `sending`, a claim that lapses), sent
/// with Kerb's message id as Notify's `reference`, then recorded. The one window a crash leaves
/// (sent, not yet recorded) is closed on the next attempt: a message tried before is first looked
/// up in Notify by its reference and recorded as sent if Notify has it, never sent twice.
public struct Dispatcher: Sendable {
    let database: TenantDatabase
    let client: GovUKNotifyClient
    let clock: WallClock
    let pace: SendPace
    /// Messages claimed at a time per council, and sent this many at once.
    public var batch = 100
    public var concurrency = 8
    /// How long a claim holds before another dispatcher may take the message over.
    public var claim: TimeInterval = 120
    /// Attempts before a message that keeps meeting retryable errors is failed for a person to act on.
    public var maxAttempts = 15

    public init(database: TenantDatabase, client: GovUKNotifyClient, clock: WallClock = .system, pace: SendPace = SendPace()) {
        self.database = database
        self.client = client
        self.clock = clock
        self.pace = pace
    }

    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var sent = 0
        public var found = 0
        public var retrying = 0
        public var failed = 0
        public var claimed: Int { sent + found + retrying + failed }
    }

    struct Claimed: Sendable {
        var id: UUID
        var attempts: Int
        var channel: NotifyChannel
        var recipient: String
        var subject: String
        var body: String
    }

    /// Sends what is due for one council, in batches, until nothing is due or the pace is spent.
    @discardableResult
    public func dispatch(_ scope: TenantScope, service: NotifyService, logger: Logger) async throws -> Report {
        var report = Report()
        while true {
            let allowance = pace.take(service.key.serviceID, upTo: batch, now: clock.now())
            guard allowance > 0 else { break }
            let claimed = try await claim(scope, limit: allowance, logger: logger)
            pace.giveBack(service.key.serviceID, allowance - claimed.count)
            guard !claimed.isEmpty else { break }
            let outcomes = await withTaskGroup(of: (Claimed, Outcome).self) { group in
                var results: [(Claimed, Outcome)] = []
                var next = claimed.makeIterator()
                for _ in 0..<concurrency {
                    guard let message = next.next() else { break }
                    group.addTask { (message, await send(message, service, logger)) }
                }
                for await result in group {
                    results.append(result)
                    if let message = next.next() { group.addTask { (message, await send(message, service, logger)) } }
                }
                return results
            }
            try await record(scope, outcomes, logger: logger)
            for (_, outcome) in outcomes {
                switch outcome {
                case .sent: report.sent += 1
                case .found: report.found += 1
                case .retry: report.retrying += 1
                case .fail: report.failed += 1
                }
            }
            if claimed.count < allowance { break }
        }
        return report
    }

    /// Claims up to `limit` due messages: queued ones whose time has come, and sending ones
    /// whose claim lapsed (a dispatcher that died mid-send).
    func claim(_ scope: TenantScope, limit: Int, logger: Logger) async throws -> [Claimed] {
        let now = clock.now()
        let until = now.addingTimeInterval(claim)
        return try await database.transaction(scope, logger: logger) { conn in
            var claimed: [Claimed] = []
            for try await (id, attempts, channel, recipient, subject, body) in try await conn.query(
                """
                UPDATE messages m SET state = 'sending', claimed_until = \(until), attempts = m.attempts + 1
                FROM (SELECT id FROM messages
                      WHERE state IN ('queued', 'sending') AND next_attempt_at <= \(now)
                        AND (state = 'queued' OR claimed_until < \(now))
                      ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) due
                WHERE m.id = due.id
                RETURNING m.id, m.attempts, m.channel, m.recipient, m.subject, m.body
                """, logger: logger
            ).decode((UUID, Int, String, String, String, String).self) {
                guard let channel = NotifyChannel(rawValue: channel) else { continue }
                claimed.append(
                    Claimed(id: id, attempts: attempts, channel: channel, recipient: recipient, subject: subject, body: body))
            }
            return claimed
        }
    }

    enum Outcome: Sendable {
        case sent(UUID)
        /// Notify already had it (an earlier attempt's send that was never recorded).
        case found(UUID, String)
        case retry(String)
        case fail(String)
    }

    func send(_ message: Claimed, _ service: NotifyService, _ logger: Logger) async -> Outcome {
        let reference = message.id.uuidString.lowercased()
        guard let template = service.templates[message.channel] else {
            return .retry("no GOV.UK Notify template is set up for \(message.channel.rawValue) messages")
        }
        do {
            if message.attempts > 1,
                let earlier = try await client.notifications(reference: reference, key: service.key, logger: logger).first
            {
                return .found(earlier.id, earlier.status)
            }
            let recipient: GovUKNotifyClient.Message.Recipient
            var personalisation: [String: NotifyValue] = ["body": .text(message.body)]
            switch message.channel {
            case .email:
                recipient = .email(message.recipient)
                personalisation["subject"] = .text(message.subject)
            case .sms: recipient = .phone(message.recipient)
            case .letter:
                recipient = .address(try PostalAddress(lines: message.recipient.split(separator: "\n").map(String.init)))
                personalisation["subject"] = .text(message.subject)
            }
            let sent = try await client.send(
                .init(recipient: recipient, templateID: template, personalisation: personalisation, reference: reference),
                key: service.key, logger: logger)
            return .sent(sent.id)
        } catch {
            return error.isRetryable ? .retry(error.description) : .fail(error.description)
        }
    }

    /// Records each outcome against the claim this dispatcher holds (same attempt number), so a
    /// dispatcher whose claim lapsed and was taken over cannot overwrite the newer attempt.
    func record(_ scope: TenantScope, _ outcomes: [(Claimed, Outcome)], logger: Logger) async throws {
        let now = clock.now()
        try await database.transaction(scope, logger: logger) { conn in
            for (message, outcome) in outcomes {
                let query: PostgresQuery
                switch outcome {
                case .sent(let notifyID), .found(let notifyID, _):
                    let status: String? = if case .found(_, let status) = outcome { status } else { "created" }
                    // A set-up or reset link works once: once Notify has it, Kerb's copy is blanked,
                    // so reading the outbox never yields a working link.
                    query = """
                        UPDATE messages SET state = 'sent', notify_id = \(notifyID), notify_status = \(status), sent_at = \(now),
                            claimed_until = NULL, last_error = NULL,
                            body = CASE WHEN kind IN ('account-set-up', 'password-reset') THEN \(Self.linkRemoved) ELSE body END
                        WHERE id = \(message.id) AND state = 'sending' AND attempts = \(message.attempts)
                        """
                case .retry(let reason) where message.attempts < maxAttempts:
                    let next = now.addingTimeInterval(Self.backoff(attempt: message.attempts))
                    query = """
                        UPDATE messages SET state = 'queued', next_attempt_at = \(next), claimed_until = NULL,
                            last_error = \(String(reason.prefix(400)))
                        WHERE id = \(message.id) AND state = 'sending' AND attempts = \(message.attempts)
                        """
                case .retry(let reason), .fail(let reason):
                    query = """
                        UPDATE messages SET state = 'failed', completed_at = \(now), claimed_until = NULL,
                            last_error = \(String(reason.prefix(400)))
                        WHERE id = \(message.id) AND state = 'sending' AND attempts = \(message.attempts)
                        """
                }
                _ = try await conn.query(query, logger: logger)
            }
        }
    }

    /// What a sent set-up or reset email's copy says instead of the link.
    static let linkRemoved = "[The email held a one-time link; Kerb keeps no copy of it once GOV.UK Notify has it.]"

    /// Seconds before attempt `attempt + 1`: doubling from 5 seconds to at most an hour, with up
    /// to a fifth added at random so that councils' retries after an outage do not arrive together.
    static func backoff(attempt: Int) -> TimeInterval {
        let base = min(5 * pow(2, Double(max(0, attempt - 1))), 3_600)
        return base + Double.random(in: 0...(base / 5))
    }

    /// Reads back the delivery status of messages Notify has and records it; final statuses
    /// end the message (delivered, or failed with Notify's status as the reason).
    @discardableResult
    public func track(_ scope: TenantScope, service: NotifyService, limit: Int = 200, logger: Logger) async throws -> Int {
        let pending = try await database.transaction(scope, logger: logger) { conn in
            var rows: [(UUID, UUID)] = []
            for try await row in try await conn.query(
                "SELECT id, notify_id FROM messages WHERE state = 'sent' AND notify_id IS NOT NULL ORDER BY sent_at LIMIT \(limit)",
                logger: logger
            ).decode((UUID, UUID).self) { rows.append(row) }
            return rows
        }
        var read: [(UUID, NotificationState)] = []
        for (id, notifyID) in pending {
            guard let state = try? await client.notification(notifyID, key: service.key, logger: logger) else { continue }
            read.append((id, state))
        }
        let now = clock.now()
        try await database.transaction(scope, logger: logger) { conn in
            for (id, state) in read {
                switch state.outcome {
                case .pending:
                    _ = try await conn.query(
                        "UPDATE messages SET notify_status = \(state.status) WHERE id = \(id) AND state = 'sent'", logger: logger)
                case .delivered:
                    _ = try await conn.query(
                        """
                        UPDATE messages SET state = 'delivered', notify_status = \(state.status), completed_at = \(now)
                        WHERE id = \(id) AND state = 'sent'
                        """, logger: logger)
                case .failed:
                    _ = try await conn.query(
                        """
                        UPDATE messages SET state = 'failed', notify_status = \(state.status), completed_at = \(now),
                            last_error = \("GOV.UK Notify could not deliver it (\(state.status))")
                        WHERE id = \(id) AND state = 'sent'
                        """, logger: logger)
                }
            }
        }
        return read.count
    }
}

/// Keeps each Notify service under its rate limit from this process: at most `perMinute` sends
/// in any minute (by default 2,400, four fifths of Notify's 3,000, leaving room for other
/// processes and retries; a 429 is still handled as a retry).
public final class SendPace: Sendable {
    public let perMinute: Int
    private let windows = NIOLockedValueBox<[String: [(Date, Int)]]>([:])

    public init(perMinute: Int = 2_400) {
        self.perMinute = perMinute
    }

    /// Takes up to `wanted` sends for `service` now; returns how many it may make.
    func take(_ service: String, upTo wanted: Int, now: Date) -> Int {
        windows.withLockedValue { windows in
            var window = windows[service, default: []].filter { now.timeIntervalSince($0.0) < 60 }
            let used = window.reduce(0) { $0 + $1.1 }
            let granted = max(0, min(wanted, perMinute - used))
            if granted > 0 { window.append((now, granted)) }
            windows[service] = window
            return granted
        }
    }

    /// Returns sends taken but not made (fewer messages were due than taken).
    func giveBack(_ service: String, _ unused: Int) {
        guard unused > 0 else { return }
        windows.withLockedValue { windows in
            guard var window = windows[service], let last = window.popLast() else { return }
            if last.1 > unused { window.append((last.0, last.1 - unused)) }
            windows[service] = window
        }
    }
}
