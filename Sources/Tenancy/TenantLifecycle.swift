import Audit
import Documents
import Foundation
import Identity
import KerbCore
import Keys
import Policy
import Storage

/// Supplier-ops operations on tenants: onboard, list, show, suspend, resume, offboard.
/// Every operation is one admin transaction, so a refused or failed one changes nothing, and
/// every change leaves a row in `kerb_control.tenant_events` saying who did it and why.
public struct TenantLifecycle: Sendable {
    public let database: AdminDatabase
    public let catalogue: AuthorityCatalogue
    public let tenantMigrations: [Migration]
    /// Each council gets its data key in its onboarding transaction.
    public let keys: CouncilKeys

    public init(database: AdminDatabase, catalogue: AuthorityCatalogue, tenantMigrations: [Migration], keys: CouncilKeys) {
        self.database = database
        self.catalogue = catalogue
        self.tenantMigrations = tenantMigrations
        self.keys = keys
    }

    /// The same operations with another catalogue (tests add authorities of their own).
    public func with(catalogue: AuthorityCatalogue, tenantMigrations: [Migration]? = nil) -> TenantLifecycle {
        TenantLifecycle(database: database, catalogue: catalogue, tenantMigrations: tenantMigrations ?? self.tenantMigrations, keys: keys)
    }

    /// What onboarding asks for. `slug` defaults to the authority's catalogue slug.
    public struct OnboardingRequest: Sendable {
        public var authority: String
        public var slug: String?
        public var hostnames: [String]
        public var adminName: String
        public var adminEmail: String
        public var actor: String

        public init(authority: String, slug: String? = nil, hostnames: [String] = [], adminName: String, adminEmail: String, actor: String)
        {
            self.authority = authority
            self.slug = slug
            self.hostnames = hostnames
            self.adminName = adminName
            self.adminEmail = adminEmail
            self.actor = actor
        }
    }

    public struct Onboarded: Sendable {
        public let tenant: Tenant
        /// Shown once to the operator, who passes it to the council's administrator.
        public let adminSetupToken: String
    }

    /// Creates the tenant's owner and request roles and its schema, runs every tenant migration
    /// (as the owner) and grants the request role, then records the default local policy as
    /// version 1 and invites the first authority admin as the request role, all in one transaction.
    public func onboard(_ request: OnboardingRequest) async throws -> Onboarded {
        guard let authority = catalogue.authority(request.authority) else {
            throw TenancyError.unknownAuthority(request.authority)
        }
        let slugText = request.slug ?? authority.slug.rawValue
        guard let slug = Slug(slugText) else { throw TenancyError.invalidSlug(slugText) }
        let hostnames = try request.hostnames.map { try Self.validHostname($0) }
        let adminIssues = AccountProvisioning.validate(fullName: request.adminName, email: request.adminEmail)
        guard adminIssues.isEmpty else { throw TenancyError.invalidAdmin(adminIssues) }
        let policy = try LocalPolicy.initial(for: authority.nation)
        let migrations = tenantMigrations
        let keys = keys
        let appUser = database.config.appUser
        let scope = TenantScope(slug)

        let token: SetupToken = try await database.transaction { session in
            if let existing = try session.query(
                "SELECT slug FROM kerb_control.tenants WHERE authority_slug = $1", [authority.slug.rawValue]
            ).first {
                throw TenancyError.authorityAlreadyOnboarded(authority: authority.slug.rawValue, slug: existing[0] ?? "")
            }
            if try !session.query("SELECT 1 FROM kerb_control.tenants WHERE slug = $1", [slug.rawValue]).isEmpty {
                throw TenancyError.slugTaken(slug.rawValue)
            }
            for host in hostnames
            where try !session.query(
                "SELECT 1 FROM kerb_control.tenant_hostnames WHERE hostname = $1", [host]
            ).isEmpty {
                throw TenancyError.hostnameTaken(host)
            }
            let id = try session.query(
                """
                INSERT INTO kerb_control.tenants
                    (slug, authority_slug, display_name, band, nation, schema_name, role_name, status, activated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', now()) RETURNING id
                """,
                [
                    slug.rawValue, authority.slug.rawValue, authority.name, authority.band.rawValue,
                    authority.nation.rawValue, scope.schema, scope.ownerRole,
                ])[0][0]
            for host in hostnames {
                try session.query("INSERT INTO kerb_control.tenant_hostnames (hostname, tenant_id) VALUES ($1, $2::uuid)", [host, id])
            }
            try Self.recordEvent(
                session, tenantID: id, event: "onboarded", actor: request.actor,
                detail: "band \(authority.band.rawValue), \(authority.nation.rawValue)")
            try session.createTenantRoleAndSchema(scope, appUser: appUser)
            try keys.ensure(session, scope)
            try session.applyTenantMigrations(scope, migrations)
            try session.enterTenant(scope)
            try session.query(
                "INSERT INTO profile (authority, display_name, nation, band) VALUES ($1, $2, $3, $4)",
                [authority.slug.rawValue, authority.name, authority.nation.rawValue, authority.band.rawValue])
            try LocalPolicy.recordInitial(session, document: policy.document, reason: policy.reason, actor: request.actor)
            let token = try AccountProvisioning.createFirstAdmin(session, fullName: request.adminName, email: request.adminEmail)
            try StandardGroups.seed(session, firstAdminEmail: request.adminEmail.trimmingCharacters(in: .whitespaces))
            try session.leaveTenant()
            return token
        }
        return Onboarded(tenant: try await show(slug.rawValue).tenant, adminSetupToken: token.token)
    }

    public func list() async throws -> [Tenant] {
        try await database.session { session in try Self.load(session, where: nil) }
    }

    /// A tenant with its lifecycle history and applied tenant migrations.
    public struct Details: Sendable {
        public let tenant: Tenant
        public let events: [(at: String, event: String, actor: String, detail: String?)]
        public let migrations: [String]
    }

    public func show(_ slug: String) async throws -> Details {
        guard Slug(slug) != nil else { throw TenancyError.invalidSlug(slug) }
        return try await database.session { session in
            guard let tenant = try Self.load(session, where: slug).first else { throw TenancyError.unknownTenant }
            let events = try session.query(
                "SELECT to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), event, actor, detail FROM kerb_control.tenant_events WHERE tenant_id = $1::uuid ORDER BY id",
                [tenant.id.uuidString]
            ).map { (at: $0[0] ?? "", event: $0[1] ?? "", actor: $0[2] ?? "", detail: $0[3]) }
            let migrations = try session.query(
                "SELECT version FROM kerb_control.schema_migrations WHERE schema_name = $1 ORDER BY version", [tenant.scope.schema]
            ).map { $0[0] ?? "" }
            return Details(tenant: tenant, events: events, migrations: migrations)
        }
    }

    /// Stops all access to a council's service (the router answers 503) without touching its data.
    public func suspend(_ slug: String, reason: String, actor: String) async throws -> Tenant {
        try await transition(slug, from: .active, to: .suspended, reason: reason, actor: actor)
    }

    public func resume(_ slug: String, reason: String, actor: String) async throws -> Tenant {
        try await transition(slug, from: .suspended, to: .active, reason: reason, actor: actor)
    }

    /// The certificate of deletion offboarding records and prints.
    public struct DeletionCertificate: Sendable {
        public let id: String
        public let text: String
    }

    /// Deletes a council: only with an export verified against its data as it is now (its audit
    /// position unchanged since; every change is audited). The council is suspended first (its
    /// addresses answer 503 from then on); then, in one transaction, its schema and both roles
    /// are dropped, its data keys destroyed (crypto-shredding: any copy of its documents or
    /// secrets, in a backup say, no longer opens), its hostnames released, and a certificate of
    /// deletion recorded. Its document blobs are removed after the commit.
    ///
    /// `settle`: how long to wait after suspending, so every web process's tenant directory has
    /// seen the suspension before the schema goes (its cache's lifetime, by default).
    public func offboard(
        _ slug: String, actor: String, blobs: any BlobStore, settle: Duration = TenantDirectory.defaultTTL + .seconds(1)
    ) async throws -> DeletionCertificate {
        let tenant = try await show(slug).tenant
        guard tenant.status != .offboarded else {
            throw TenancyError.wrongStatus(slug: slug, status: "offboarded", wanted: "active or suspended")
        }
        let scope = tenant.scope
        let tenantID = tenant.id.uuidString
        let keys = keys
        // Checked before anything changes, and again under the lock below.
        _ = try await database.transaction { session in
            try Self.currentVerifiedExport(session, tenantID: tenantID, scope: scope, slug: slug)
        }
        if tenant.status == .active {
            _ = try await suspend(slug, reason: "offboarding", actor: actor)
            try await Task.sleep(for: settle)
        }
        let certificate: DeletionCertificate = try await database.transaction { session in
            _ = try session.query("SELECT 1 FROM kerb_control.tenants WHERE id = $1::uuid FOR UPDATE", [tenantID])
            let export = try Self.currentVerifiedExport(session, tenantID: tenantID, scope: scope, slug: slug)
            try session.enterTenant(scope)
            let tables = try session.tables(scope).count
            let documents = try session.query("SELECT count(*) FROM documents").first?[0].flatMap { $0 } ?? "0"
            try session.leaveTenant()
            try session.dropTenantRoleAndSchema(scope)
            try keys.shred(session, scope)
            let versions =
                try session.query(
                    "SELECT count(*) FROM kerb_control.council_keys WHERE schema_name = $1", [scope.schema]
                ).first?[0].flatMap { $0 } ?? "0"
            try session.query("DELETE FROM kerb_control.tenant_hostnames WHERE tenant_id = $1::uuid", [tenantID])
            try session.query("DELETE FROM kerb_control.schema_migrations WHERE schema_name = $1", [scope.schema])
            try session.query(
                """
                UPDATE kerb_control.tenants SET status = 'offboarded', status_reason = 'offboarded', offboarded_at = now(), updated_at = now()
                WHERE id = $1::uuid
                """, [tenantID])
            let text = """
                Certificate of deletion — Kerb
                Council: \(tenant.displayName) (\(slug)), band \(tenant.band.rawValue), \(tenant.nation.rawValue)
                Deleted: schema \(scope.schema) with its \(tables) tables, roles \(scope.ownerRole) and \(scope.requestRole), \(documents) documents, \(versions) data key version(s) destroyed
                Export held by the council: manifest SHA-256 \(export.manifest), audit position \(export.auditSeq), verified \(export.verifiedAt)
                Issued by: \(actor)
                """
            let id =
                try session.query(
                    """
                    INSERT INTO kerb_control.deletion_certificates (tenant_id, export_id, issued_by, certificate)
                    VALUES ($1::uuid, $2::bigint, $3, $4) RETURNING id::text
                    """, [tenantID, export.id, actor, text]
                ).first?[0].flatMap { $0 } ?? ""
            try Self.recordEvent(session, tenantID: tenantID, event: "offboarded", actor: actor, detail: "certificate \(id)")
            return DeletionCertificate(id: id, text: text + "\nCertificate: \(id)")
        }
        try await blobs.deleteNamespace(scope.schema)
        return certificate
    }

    /// The latest verified export, if the council has not changed since it; otherwise the refusal.
    static func currentVerifiedExport(_ session: AdminSession, tenantID: String, scope: TenantScope, slug: String) throws -> (
        id: String, manifest: String, auditSeq: String, verifiedAt: String
    ) {
        guard
            let row = try session.query(
                """
                SELECT id::text, manifest_sha256, audit_seq::text, to_char(verified_at, 'YYYY-MM-DD"T"HH24:MI:SSOF')
                FROM kerb_control.tenant_exports WHERE tenant_id = $1::uuid AND verified_at IS NOT NULL ORDER BY id DESC LIMIT 1
                """, [tenantID]
            ).first, let id = row[0], let manifest = row[1], let seq = row[2], let verified = row[3]
        else { throw TenancyError.offboardNeedsVerifiedExport(slug) }
        try session.enterTenant(scope)
        let current = try AuditLog.lastSeq(on: session)
        try session.leaveTenant()
        guard String(current) == seq else { throw TenancyError.offboardNeedsVerifiedExport(slug) }
        return (id, manifest, seq, verified)
    }

    /// What a key rotation re-sealed.
    public struct KeyRotation: Sendable, Equatable {
        public let version: Int
        public let documents: Int
        public let secrets: Int
    }

    /// Gives the council a new data key and destroys the old one, re-sealing every document's
    /// key and every secret with the new one in the same transaction (the blobs are untouched).
    /// Recorded in the council's lifecycle events.
    public func rotateKeys(_ slug: String, actor: String) async throws -> KeyRotation {
        let tenant = try await show(slug).tenant
        let keys = keys
        return try await database.transaction { session in
            var counts = (documents: 0, secrets: 0)
            let (_, new) = try keys.rotate(session, tenant.scope) { old, new in
                try session.enterTenant(tenant.scope)
                counts = (try DocumentKeys.reseal(session, from: old, to: new), try SealedSecrets.reseal(session, from: old, to: new))
                try session.leaveTenant()
            }
            try Self.recordEvent(
                session, tenantID: tenant.id.uuidString, event: "keys-rotated", actor: actor,
                detail: "data key version \(new.version); \(counts.documents) document keys and \(counts.secrets) secrets re-sealed")
            return KeyRotation(version: new.version, documents: counts.documents, secrets: counts.secrets)
        }
    }

    /// Re-wraps every council's data key (and supplier operations') under `next`: master-key
    /// rotation. Afterwards only `next` opens anything; the old key file can be destroyed.
    public func rotateMasterKey(to next: MasterKey) async throws -> Int {
        let keys = keys
        return try await database.transaction { session in try keys.rewrapAll(session, to: next) }
    }

    /// Every tenant whose schema exists (not offboarded), for `kerb migrate`.
    public func migratableScopes() async throws -> [TenantScope] {
        try await database.session { session in
            try session.query("SELECT slug FROM kerb_control.tenants WHERE status <> 'offboarded' ORDER BY slug")
                .compactMap { $0[0].flatMap(Slug.init).map(TenantScope.init) }
        }
    }

    private func transition(_ slug: String, from: Tenant.Status, to: Tenant.Status, reason: String, actor: String) async throws -> Tenant {
        guard Slug(slug) != nil else { throw TenancyError.invalidSlug(slug) }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw TenancyError.reasonRequired }
        try await database.transaction { session in
            let rows = try session.query("SELECT id, status FROM kerb_control.tenants WHERE slug = $1 FOR UPDATE", [slug])
            guard let row = rows.first, let id = row[0], let status = row[1] else { throw TenancyError.unknownTenant }
            guard status == from.rawValue else {
                throw TenancyError.wrongStatus(slug: slug, status: status, wanted: from.rawValue)
            }
            try session.query(
                """
                UPDATE kerb_control.tenants SET status = $2, status_reason = $3, updated_at = now(),
                    suspended_at = CASE WHEN $2 = 'suspended' THEN now() ELSE suspended_at END
                WHERE id = $1::uuid
                """, [id, to.rawValue, reason])
            try Self.recordEvent(session, tenantID: id, event: to == .suspended ? "suspended" : "resumed", actor: actor, detail: reason)
        }
        return try await show(slug).tenant
    }

    public static func recordEvent(_ session: AdminSession, tenantID: String?, event: String, actor: String, detail: String?) throws {
        try session.query(
            "INSERT INTO kerb_control.tenant_events (tenant_id, event, actor, detail) VALUES ($1::uuid, $2, $3, $4)",
            [tenantID, event, actor, detail])
    }

    static func load(_ session: AdminSession, where slug: String?) throws -> [Tenant] {
        let rows = try session.query(
            """
            SELECT t.id, t.slug, t.authority_slug, t.display_name, t.band, t.nation, t.status, t.status_reason,
                   extract(epoch FROM t.created_at), extract(epoch FROM t.suspended_at),
                   coalesce((SELECT string_agg(h.hostname, ',' ORDER BY h.hostname) FROM kerb_control.tenant_hostnames h WHERE h.tenant_id = t.id), '')
            FROM kerb_control.tenants t WHERE $1::text IS NULL OR t.slug = $1 ORDER BY t.slug
            """, [slug])
        return rows.compactMap(TenantRow.decode)
    }

    /// Hostnames are lowercase DNS names of at most 253 characters.
    static func validHostname(_ raw: String) throws -> String {
        let host = raw.lowercased()
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard host.count <= 253, labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            })
        else { throw TenancyError.invalidHostname(raw) }
        return host
    }
}

/// Decodes the text columns shared by the admin and app-side tenant queries.
enum TenantRow {
    static func decode(_ row: [String?]) -> Tenant? {
        guard row.count >= 11, let idText = row[0], let id = UUID(uuidString: idText), let slug = row[1].flatMap(Slug.init),
            let band = row[4].flatMap(Band.init(rawValue:)), let nation = row[5].flatMap(Nation.init(rawValue:)),
            let status = row[6].flatMap(Tenant.Status.init(rawValue:))
        else { return nil }
        return Tenant(
            id: id, slug: slug, authoritySlug: row[2] ?? "", displayName: row[3] ?? "", band: band, nation: nation,
            status: status, statusReason: row[7],
            hostnames: (row[10] ?? "").split(separator: ",").map(String.init),
            createdAt: Date(timeIntervalSince1970: Double(row[8] ?? "0") ?? 0),
            suspendedAt: row[9].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)))
    }
}
