import Crypto
import Foundation
import Logging
import Storage
import Tenancy

/// The daily backup and verification of every council (`kerb backup schedule`), spread over the
/// day: each council has its own minute (from its id), so 2,000 councils do not all start at
/// midnight. Any number of schedulers can run; each council's day is claimed in the control
/// plane, so it is done once, and a claim whose scheduler died is taken again after two hours.
public struct BackupSchedule: Sendable {
    public let backups: BackupService
    /// Who the evidence names as having run it.
    public let name: String

    public init(backups: BackupService, name: String = "schedule") {
        self.backups = backups
        self.name = name
    }

    /// The council's minute of the (UTC) day: the same every day, different between councils.
    public static func minute(of tenant: UUID) -> Int {
        let digest = Array(SHA256.hash(data: Data(tenant.uuidString.lowercased().utf8)))
        return Int(digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } % 1_440)
    }

    /// Councils whose minute has come today, in minute order.
    public static func due(_ tenants: [Tenant], at now: Date) -> [Tenant] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: now)
        let current = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return tenants.filter { $0.status != .offboarded && minute(of: $0.id) <= current }.sorted { minute(of: $0.id) < minute(of: $1.id) }
    }

    /// One pass: every council (or every one of `only`) that is due and not yet done today is
    /// claimed, backed up and verified, one at a time. Returns what each did (a failure is
    /// recorded, not thrown).
    public func pass(now: Date = Date(), only: [Tenant]? = nil, logger: Logger) async throws -> [(council: String, passed: Bool)] {
        var done: [(String, Bool)] = []
        let councils: [Tenant]
        if let only { councils = only } else { councils = try await backups.lifecycle.list() }
        for tenant in Self.due(councils, at: now) {
            guard try await claim(tenant) else { continue }
            let slug = tenant.slug.rawValue
            var passed = false
            do {
                let record = try await backups.take(slug, by: name)
                passed = try await backups.verify(record.id, by: name).passed
            } catch {
                logger.error(
                    "scheduled backup failed", metadata: ["kerb.tenant": .string(slug), "kerb.error": .string(Self.describe(error))])
            }
            try await finish(tenant)
            logger.info("scheduled backup", metadata: ["kerb.tenant": .string(slug), "kerb.passed": .stringConvertible(passed)])
            done.append((slug, passed))
        }
        return done
    }

    static func describe(_ error: any Error) -> String {
        (error as? StorageError)?.description ?? (error as? BackupError)?.publicDetail ?? String(describing: type(of: error))
    }

    /// Claims today's backup of `tenant` for this scheduler; false if another has it or it is done.
    func claim(_ tenant: Tenant) async throws -> Bool {
        let id = tenant.id.uuidString
        let name = name
        return try await backups.database.transaction { session in
            !(try session.query(
                """
                INSERT INTO kerb_control.backup_schedule AS s (tenant_id, day, claimed_by) VALUES ($1::uuid, (now() AT TIME ZONE 'UTC')::date, $2)
                ON CONFLICT (tenant_id) DO UPDATE SET day = EXCLUDED.day, claimed_at = now(), claimed_by = EXCLUDED.claimed_by, done_at = NULL
                WHERE s.day < EXCLUDED.day OR (s.done_at IS NULL AND s.claimed_at < now() - interval '2 hours')
                RETURNING 1
                """, [id, name]
            ).isEmpty)
        }
    }

    /// Marks today's claim done. A failed day is done too: the failure is the evidence, it is
    /// alerted on, and the next day tries again.
    func finish(_ tenant: Tenant) async throws {
        let id = tenant.id.uuidString
        try await backups.database.transaction { session in
            try session.query("UPDATE kerb_control.backup_schedule SET done_at = now() WHERE tenant_id = $1::uuid", [id])
        }
    }
}
