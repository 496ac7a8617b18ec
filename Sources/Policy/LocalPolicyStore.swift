import Audit
import Foundation
import KerbCore
import Logging
import PostgresNIO
import Storage
import Synchronization

/// One stored version of a council's local policy.
public struct PolicyVersion: Sendable {
    public let version: Int
    public let document: LocalPolicyDocument
    public let reason: String
    public let createdBy: String
    public let createdAt: Date
}

/// Reads and changes a council's local policy at run time. Every change is checked against the
/// nation's guardrails with the same `PolicyCheck` as onboarding and `kerb policy check`, then
/// stored as a new version (who, when, why) with its audit entry in the same transaction.
/// Rolling back is a new version that copies an old one, so history is never rewritten.
public struct LocalPolicyStore: Sendable {
    public let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    public enum Failure: KerbError, Equatable {
        case noSuchVersion(Int)
        case reasonMissing
        case unchanged
        /// The change switches protection off; it must be proposed and approved by another administrator.
        case needsSecondAdministrator([String])
        case noSuchProposal
        /// The administrator who proposed a change cannot approve it.
        case ownProposal

        public var kind: KerbErrorKind {
            switch self {
            case .noSuchVersion: .notFound
            case .reasonMissing: .invalid([FieldIssue(field: "reason", message: publicDetail)])
            case .unchanged: .invalid([FieldIssue(field: "reason", message: publicDetail)])
            case .needsSecondAdministrator: .conflict
            case .noSuchProposal: .notFound
            case .ownProposal: .forbidden
            }
        }

        public var code: String {
            switch self {
            case .noSuchVersion: "policy.no-such-version"
            case .reasonMissing: "policy.reason-missing"
            case .unchanged: "policy.unchanged"
            case .needsSecondAdministrator: "policy.needs-second-administrator"
            case .noSuchProposal: "policy.no-such-proposal"
            case .ownProposal: "policy.own-proposal"
            }
        }

        public var publicDetail: String {
            switch self {
            case .noSuchVersion(let v): "There is no version \(v) of the local policy"
            case .reasonMissing: "Enter the reason for the change"
            case .unchanged: "The policy is already like this: nothing was changed"
            case .needsSecondAdministrator(let what):
                "This change switches off \(what.joined(separator: " and ")): another administrator must approve it"
            case .noSuchProposal: "There is no such proposed change waiting for approval"
            case .ownProposal: "You proposed this change, so another administrator must approve it"
            }
        }
    }

    /// The nation whose guardrails bind this council.
    public func nation(_ scope: TenantScope, logger: Logger) async throws -> Nation {
        let name: String? = try await database.transaction(scope, logger: logger) { conn in
            var name: String?
            for try await value in try await conn.query("SELECT nation FROM profile", logger: logger).decode(String.self) { name = value }
            return name
        }
        guard let name, let nation = Nation(rawValue: name) else { throw PolicyError.unreadable("the council has no nation on record") }
        return nation
    }

    /// The policy in force, read inside the caller's transaction (session checks, sign-in and
    /// letters need it alongside their own queries). Throws if the council has none.
    public static func inForce(on conn: PostgresConnection, logger: Logger) async throws -> LocalPolicyDocument {
        var text: String?
        for try await value in try await conn.query(
            "SELECT document::text FROM policy_versions ORDER BY version DESC LIMIT 1", logger: logger
        ).decode(String.self) { text = value }
        guard let text else { throw PolicyError.unreadable("the council has no local policy") }
        return try PolicyFile.parseLocal(json: text)
    }

    /// The policy in force and the nation whose calendar and guardrails bind the council, in one
    /// statement inside the caller's transaction.
    public static func inForceWithNation(on conn: PostgresConnection, logger: Logger) async throws -> (LocalPolicyDocument, Nation) {
        var found: (String?, String?)?
        for try await row in try await conn.query(
            "SELECT (SELECT document::text FROM policy_versions ORDER BY version DESC LIMIT 1), (SELECT nation FROM profile)",
            logger: logger
        ).decode((String?, String?).self) { found = row }
        guard let text = found?.0 else { throw PolicyError.unreadable("the council has no local policy") }
        guard let name = found?.1, let nation = Nation(rawValue: name) else {
            throw PolicyError.unreadable("the council has no nation on record")
        }
        return (try PolicyFile.parseLocal(json: text), nation)
    }

    /// The policy in force, read inside the caller's transaction through the process's cache: one
    /// statement as before, but the document crosses the wire and is parsed only when the
    /// council's newest version is not the one cached (`LocalPolicyCache`).
    public static func inForce(_ scope: TenantScope, on conn: PostgresConnection, logger: Logger) async throws -> LocalPolicyDocument {
        let known = LocalPolicyCache.shared.stamp(for: scope)
        var found: (String, String?)?
        for try await row in try await conn.query(
            """
            SELECT version::text || ':' || xmin::text,
                CASE WHEN version::text || ':' || xmin::text = \(known) THEN NULL ELSE document::text END
            FROM policy_versions ORDER BY version DESC LIMIT 1
            """, logger: logger
        ).decode((String, String?).self) { found = row }
        guard let found else { throw PolicyError.unreadable("the council has no local policy") }
        if let document = try LocalPolicyCache.shared.document(for: scope, stamp: found.0, text: found.1) { return document }
        return try await inForce(on: conn, logger: logger)  // evicted in between: read it whole
    }

    /// The version in force; its document comes from the process's cache when unchanged.
    public func current(_ scope: TenantScope, logger: Logger) async throws -> PolicyVersion {
        let known = LocalPolicyCache.shared.stamp(for: scope)
        let row: (Int, String, String?, String, String, Date)? = try await database.transaction(scope, logger: logger) { conn in
            var found: (Int, String, String?, String, String, Date)?
            for try await row in try await conn.query(
                """
                SELECT version, version::text || ':' || xmin::text,
                    CASE WHEN version::text || ':' || xmin::text = \(known) THEN NULL ELSE document::text END, reason, created_by, created_at
                FROM policy_versions ORDER BY version DESC LIMIT 1
                """, logger: logger
            ).decode((Int, String, String?, String, String, Date).self) { found = row }
            return found
        }
        guard let row else { throw PolicyError.unreadable("the council has no local policy") }
        guard let document = try LocalPolicyCache.shared.document(for: scope, stamp: row.1, text: row.2) else {
            // Replaced in the cache since the read: read it whole.
            guard let latest = try await versions(scope, limit: 1, logger: logger).first else {
                throw PolicyError.unreadable("the council has no local policy")
            }
            return latest
        }
        return PolicyVersion(version: row.0, document: document, reason: row.3, createdBy: row.4, createdAt: row.5)
    }

    /// Newest first.
    public func versions(_ scope: TenantScope, limit: Int = 50, logger: Logger) async throws -> [PolicyVersion] {
        let rows: [(Int, String, String, String, Date)] = try await database.transaction(scope, logger: logger) { conn in
            var rows: [(Int, String, String, String, Date)] = []
            for try await row in try await conn.query(
                "SELECT version, document::text, reason, created_by, created_at FROM policy_versions ORDER BY version DESC LIMIT \(limit)",
                logger: logger
            ).decode((Int, String, String, String, Date).self) { rows.append(row) }
            return rows
        }
        return try rows.map {
            PolicyVersion(version: $0.0, document: try PolicyFile.parseLocal(json: $0.1), reason: $0.2, createdBy: $0.3, createdAt: $0.4)
        }
    }

    /// Stores `document` as the next version if it is within the guardrails; otherwise throws
    /// every violation and changes nothing.
    @discardableResult
    public func change(
        _ scope: TenantScope, to document: LocalPolicyDocument, reason: String, actor: AuditEvent, logger: Logger
    ) async throws -> Int {
        try await apply(scope, document, reason: reason, actor: actor, approvedWeakening: false, logger: logger)
    }

    /// Stores the next version; a weakening change only once a second administrator approved it.
    /// `alongside` runs in the same transaction (the approval of a proposal, so a change is
    /// applied once and marked approved at once, or neither).
    func apply(
        _ scope: TenantScope, _ document: LocalPolicyDocument, reason: String, actor: AuditEvent, approvedWeakening: Bool,
        logger: Logger, alongside: (@Sendable (PostgresConnection) async throws -> Void)? = nil
    ) async throws -> Int {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try PolicyCheck.validate(document, within: try PolicyFile.bundledGuardrails(try await nation(scope, logger: logger)))
        guard !reason.isEmpty else { throw Failure.reasonMissing }
        let current = try await current(scope, logger: logger).document
        guard current != document else { throw Failure.unchanged }
        let weakened = Self.weakens(from: current, to: document)
        guard weakened.isEmpty || approvedWeakening else { throw Failure.needsSecondAdministrator(weakened) }
        let json = PolicyFile.json(document)
        return try await database.transaction(scope, logger: logger) { conn in
            // Two admins saving at once take consecutive versions instead of colliding.
            _ = try await conn.query("LOCK TABLE policy_versions IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            var next = 1
            for try await value in try await conn.query(
                "SELECT coalesce(max(version), 0) + 1 FROM policy_versions", logger: logger
            ).decode(Int.self) { next = value }
            _ = try await conn.query(
                """
                INSERT INTO policy_versions (version, document, reason, created_by)
                VALUES (\(next), \(json)::jsonb, \(reason), \(actor.actor))
                """, logger: logger)
            var event = actor
            event.action = "policy.change"
            event.target = "version \(next)"
            event.detail = reason
            try await AuditLog.record(event, on: conn, logger: logger)
            try await alongside?(conn)
            return next
        }
    }

    /// Makes an earlier version current again, as a new version, if it is still within today's
    /// guardrails.
    @discardableResult
    public func rollBack(_ scope: TenantScope, to version: Int, actor: AuditEvent, logger: Logger) async throws -> Int {
        guard let old = try await versions(scope, limit: 10_000, logger: logger).first(where: { $0.version == version }) else {
            throw Failure.noSuchVersion(version)
        }
        return try await change(scope, to: old.document, reason: "Rolled back to version \(version)", actor: actor, logger: logger)
    }
}

/// Each council's policy in force, parsed, per process: the policy is read on every signed-in
/// request, and parsing its JSON each time costs more than the query.
///
/// An entry is valid while the council's newest `policy_versions` row is the same row version:
/// its stamp is `version:xmin`, so a new version, a row rewritten in place or a schema dropped
/// and created again all change it. Readers send the stamp they hold in the statement that reads
/// the policy's current stamp (`stampSQL`), inside their own transaction, and get the document
/// back only when the stamps differ; so a change is seen by the very next request of every
/// process, with no expiry and no notification to lose.
public final class LocalPolicyCache: Sendable {
    public static let shared = LocalPolicyCache()

    /// The SQL for the stamp of a `policy_versions` row.
    public static let stampSQL = "version::text || ':' || xmin::text"

    private let entries = Mutex([String: (stamp: String, document: LocalPolicyDocument)]())
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// The stamp held for `scope`; "" (which no row has) when none.
    public func stamp(for scope: TenantScope) -> String {
        entries.withLock { $0[scope.schema]?.stamp } ?? ""
    }

    /// The document held for `scope`, whatever its stamp (for limits sent along with the stamp).
    public func held(for scope: TenantScope) -> (stamp: String, document: LocalPolicyDocument)? {
        entries.withLock { $0[scope.schema] }
    }

    /// The document of the row stamped `stamp`: parsed from `text` (and kept) when the database
    /// sent it, else the one held under that stamp; nil if that entry has gone meanwhile.
    public func document(for scope: TenantScope, stamp: String, text: String?) throws -> LocalPolicyDocument? {
        guard let text else {
            return entries.withLock { entry in entry[scope.schema].flatMap { $0.stamp == stamp ? $0.document : nil } }
        }
        let document = try PolicyFile.parseLocal(json: text)
        entries.withLock { entries in
            if entries.count >= capacity, entries[scope.schema] == nil { entries.removeAll(keepingCapacity: true) }
            entries[scope.schema] = (stamp, document)
        }
        return document
    }

    /// Forgets everything (tests).
    public func removeAll() { entries.withLock { $0.removeAll() } }
}
