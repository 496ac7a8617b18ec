import Foundation
import Hummingbird
import Storage
import Tenancy

/// `GET /api/v1/profile`: the council's public profile, read from its own schema. The cheapest
/// tenant-confined read there is, so the benchmark uses it to measure routing + isolation cost.
struct ProfileAPIController: Sendable {
    let profiles: ProfileReader

    func addRoutes(to group: DeclaredRoutes) {
        group.get("api/v1/profile", .anyone) { _, context in
            let profile = try await profiles.profile(of: context.tenant)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(profile))))
        }
    }
}

/// Reads the tenant's profile row through the pipelined, role-confined read path.
public struct ProfileReader: Sendable {
    /// The statements this reader registers with the pipeline, in order.
    public static let statements: [String] = [
        "SELECT authority, display_name, nation, band FROM profile WHERE id = 1"
    ]
    let pipeline: TenantReadPipeline

    public init(pipeline: TenantReadPipeline) { self.pipeline = pipeline }

    public struct Profile: Codable, Sendable {
        public let authority: String
        public let displayName: String
        public let nation: String
        public let band: String
    }

    public func profile(of tenant: Tenant) async throws -> Profile {
        let rows = try await pipeline.fetch(pipeline.statement(0), in: tenant.scope)
        guard let row = rows.first, row.count == 4 else { throw TenancyError.unknownTenant }
        return Profile(authority: row[0] ?? "", displayName: row[1] ?? "", nation: row[2] ?? "", band: row[3] ?? "")
    }
}
