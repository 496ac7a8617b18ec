import Foundation
import Logging
import Storage

/// Badge holders made in bulk for tests and benchmarks of bulk mail: `count` people, each with
/// an approved application and an issued badge that expires within the next three months.
/// Every `emailEvery`th person prefers email (with an address), the rest letters. Set-based
/// SQL, so 10,000 take well under a second.
public enum SyntheticHolders {
    public static func insert(
        _ database: TenantDatabase, _ scope: TenantScope, count: Int, emailEvery: Int = 2, prefix: String = "BB-9999", logger: Logger
    ) async throws {
        try await database.transaction(scope, logger: logger) { conn in
            _ = try await conn.query(
                """
                WITH made AS (
                    INSERT INTO people (full_name, address_line1, town, postcode, email, preferred_channel)
                    SELECT 'Holder ' || i || ' Example', i || ' Example Street', 'London', 'SW1A 1AA',
                        CASE WHEN i % \(emailEvery) = 0 THEN 'holder' || i || '@example.com' END,
                        CASE WHEN i % \(emailEvery) = 0 THEN 'email' ELSE 'letter' END
                    FROM generate_series(1, \(count)) i
                    RETURNING id, (regexp_match(full_name, '[0-9]+'))[1]::int AS i),
                cases AS (
                    INSERT INTO applications (reference, person_id, kind, channel, eligibility, status, team, received_at, decided_at)
                    SELECT \(prefix) || '-' || lpad(i::text, 6, '0'), id, 'NEW', 'PAPER', 'PIP', 'APPROVED', 'General casework',
                        now() - interval '3 years', now() - interval '3 years'
                    FROM made RETURNING id, person_id, reference)
                INSERT INTO badges (badge_number, application_id, person_id, eligibility, start_date, expiry_date, deliver_to, status,
                    ordered_at)
                SELECT upper(lpad(to_hex(n), 6, '0')), id, person_id, 'PIP', current_date - 1000, current_date + 5 + (n % 80)::int,
                    'HOME', 'ISSUED', now() - interval '1000 days'
                FROM (SELECT c.*, row_number() OVER (ORDER BY c.reference) + (SELECT count(*) FROM badges) AS n FROM cases c) numbered
                """, logger: logger)
        }
    }
}
