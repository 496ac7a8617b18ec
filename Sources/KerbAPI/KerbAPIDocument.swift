package import Foundation

/// The casework API's OpenAPI document (`openapi.yaml` beside this file). The generator turns it
/// into this module's types and routes at build time; Kerb serves the same bytes at
/// `/api/v1/openapi.yaml` and reads each operation's `x-kerb-permission` from it.
package enum KerbAPIDocument {
    /// The document as shipped, or empty if the bundle lost it (the routes then refuse to start).
    package static let bytes: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else { return Data() }
        return (try? Data(contentsOf: url)) ?? Data()
    }()
}
