import Foundation
import Hummingbird

/// `GET /api/v1/openapi.yaml`: the API's description, the file kept in the repository
/// (`Sources/Web/Resources/OpenAPI/kerb-api-v1.yaml`), served as is and without a key.
struct OpenAPIController: Sendable {
    static let document: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "kerb-api-v1", withExtension: "yaml", subdirectory: "OpenAPI"),
            let data = try? Data(contentsOf: url)
        else { return ByteBuffer(string: "") }
        return ByteBuffer(bytes: data)
    }()

    func addRoutes(to group: DeclaredRoutes) {
        group.get("api/v1/openapi.yaml", .anyone) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: Self.document))
        }
    }
}
