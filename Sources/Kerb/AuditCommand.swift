import ArgumentParser
import Audit
import Foundation
import KerbCore
import Storage
import Tenancy

/// `kerb audit …`: anchors councils' audit trails in the control plane and verifies them against
/// their anchors. Run by operators or cron as `kerb_admin`; the web process cannot write anchors,
/// so a compromised request path can neither rewrite a trail nor move its anchor.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Anchor and verify councils' tamper-evident audit trails.",
        subcommands: [Anchor.self, Verify.self])

    /// Which trails: one council, every council plus supplier operations, or supplier operations.
    struct Target: ParsableArguments {
        @Option(help: "One council, by slug.") var tenant: String?
        @Flag(help: "Every council that is not offboarded, and supplier operations.") var all = false
        @Flag(help: "Supplier operations' own trail.") var ops = false

        /// The trails named, each with the label printed for it. Exactly one choice is required.
        func trails(_ runtime: Runtime) async throws -> [(label: String, scope: TenantScope)] {
            guard [tenant != nil, all, ops].filter({ $0 }).count == 1 else { throw AuditUsage.oneTarget }
            if ops { return [("supplier-ops", .supplierOps)] }
            let lifecycle = try runtime.lifecycle()
            if let tenant {
                let found = try await lifecycle.show(tenant).tenant
                guard found.status != .offboarded else {
                    throw TenancyError.wrongStatus(slug: tenant, status: found.status.rawValue, wanted: "active or suspended")
                }
                return [(found.slug.rawValue, found.scope)]
            }
            let councils = try await lifecycle.list().filter { $0.status != .offboarded }.map { ($0.slug.rawValue, $0.scope) }
            return councils + [("supplier-ops", .supplierOps)]
        }
    }

    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify each trail, then record its row count and head hash in the control plane.")
        @OptionGroup var target: Target

        func run() async throws {
            let actor = operatorName()
            try await AuditCommand.each(target) { session, scope in
                let (check, recorded) = try AuditAnchors.anchor(session, scope, actor: actor)
                return recorded
                    ? "anchored at \(check.rows) rows\(check.headHash.map { ", head \($0.prefix(16))…" } ?? "")"
                    : "unchanged since the anchor of \(check.anchor?.at ?? "?") (\(check.rows) rows)"
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute each trail's hash chain and check it still holds its last anchor.")
        @OptionGroup var target: Target

        func run() async throws {
            try await AuditCommand.each(target) { session, scope in
                let check = try AuditAnchors.verify(session, scope)
                let anchor = check.anchor.map { "holds the anchor of \($0.at) (\($0.rowCount) rows)" } ?? "never anchored"
                return "\(check.rows) rows, chain intact, \(anchor)"
            }
        }
    }

    /// Runs `body` for every named trail on one admin connection, printing one line per trail:
    /// "ok <label>: …" on stdout, or "kerb: <label>: <why>" on stderr. Exits 5 if any trail
    /// failed, after reporting every one.
    static func each(
        _ target: Target, _ body: @escaping @Sendable (AdminSession, TenantScope) throws -> String
    ) async throws {
        try await reportingErrors {
            try await Runtime.with { runtime in
                let trails = try await target.trails(runtime)
                let results = try await runtime.admin.session { session in
                    trails.map { trail in (trail.label, Result { try body(session, trail.scope) }) }
                }
                var failed = 0
                for (label, result) in results {
                    switch result {
                    case .success(let line):
                        print("ok \(label): \(line)")
                    case .failure(let error as any KerbError):
                        failed += 1
                        FileHandle.standardError.write(Data("kerb: \(label): \(describe(error))\n".utf8))
                    case .failure(let error):
                        failed += 1
                        FileHandle.standardError.write(Data("kerb: \(label): \(error)\n".utf8))
                    }
                }
                if failed > 0 { throw ExitCode(5) }
            }
        }
    }
}

/// A command line that names no trail, or more than one kind.
enum AuditUsage: KerbError {
    case oneTarget
    var kind: KerbErrorKind { .invalid([]) }
    var code: String { "audit.target" }
    var publicDetail: String { "give exactly one of --tenant SLUG, --all or --ops" }
}
