import Foundation
import Hummingbird
import KerbAPI

/// `GET /api/v1/openapi.yaml`: the API's description, the file kept in the repository
/// (`Sources/KerbAPI/openapi.yaml`, from which the API's code is generated), served as is and without a key.
struct OpenAPIController: Sendable {
    static let document = ByteBuffer(bytes: KerbAPIDocument.bytes)

    func addRoutes(to group: DeclaredRoutes) {
        group.get("api/v1/openapi.yaml", .anyone) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: Self.document))
        }
    }
}
