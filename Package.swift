// swift-tools-version:6.2
// Kerb: one hosted Blue Badge casework service shared by many councils, each sealed in its own
// PostgreSQL schema. Modules are named for capabilities; dependencies point one way:
// Kerb (CLI) → Web → domain (Tenancy, Identity, Policy) → Audit → Storage → KerbCore.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Kerb",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kerb", targets: ["Kerb"]),
        .executable(name: "kerb-bench", targets: ["KerbBench"]),
        // Demo and offline runs only (infra/run): the contract fakes, which `kerb` does not contain.
        .executable(name: "kerb-demo", targets: ["KerbDemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // TLS to PostgreSQL (verify-full): already under postgres-nio, named here for its trust roots.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Policy files are YAML: comments for the statutory sources, no TOML library resolves here.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // HTTPS client for GOV.UK Pay, the national Blue Badge service and later GOV.UK Notify.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // The JSON API's types and routes, generated at build time from its OpenAPI document, and
        // served through Hummingbird: the document is the one source of the API's shape.
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        // A subject access archive is one ZIP file (councils open it on Windows without tools),
        // written to disk entry by entry.
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        // GOV.UK Notify authenticates every request with a fresh HS256 JSON Web Token.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    ],
    targets: [
        // MARK: system libraries (one Swift file in the owning module wraps each)
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "COath", pkgConfig: "liboath", providers: [.apt(["liboath-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),

        // MARK: data folders at the root, shipped as resources
        .target(name: "KerbMigrations", path: "migrations", resources: [.copy("control"), .copy("tenant")]),
        .target(name: "KerbCatalogue", path: "tenants", exclude: ["README.md"], resources: [.copy("authorities.csv"), .copy("bands.csv")]),
        .target(name: "KerbPolicies", path: "policies", resources: [.copy("default.yaml"), .copy("statutory")]),

        // MARK: core and storage
        .target(name: "KerbCore", swiftSettings: swiftSettings),
        .target(
            name: "Storage",
            dependencies: [
                "KerbCore", "KerbMigrations", "CLibPQ",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: keys and documents
        // Councils' data keys, wrapped by a master key kept outside the database.
        .target(
            name: "Keys",
            dependencies: [
                "KerbCore", "Storage", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Encrypted, streamed document blobs in each council's own namespace.
        .target(
            name: "Documents",
            dependencies: [
                "KerbCore", "Storage", "Keys", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Audit",
            dependencies: [
                "KerbCore", "Storage", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: domain
        .target(
            name: "Policy",
            dependencies: [
                "KerbCore", "Storage", "Audit", "KerbPolicies", .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Identity",
            dependencies: [
                "KerbCore", "Storage", "Audit", "Policy", "Keys", "CArgon2", "COath", "Communications",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/common-passwords.txt")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Communications",
            dependencies: [
                "KerbCore", "Storage", "Audit", "Notify",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("Resources/wording")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Casework",
            dependencies: [
                "KerbCore", "Storage", "Policy", "Audit", "Communications", "Notify", "NationalBlueBadge", "Payments", "Documents", "Keys",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Enforcement",
            dependencies: [
                "KerbCore", "Storage", "Audit", "Policy", "Casework", "Documents",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tenancy",
            dependencies: [
                "KerbCore", "Storage", "Audit", "Policy", "Identity", "Keys", "Documents", "KerbCatalogue", "Casework", "NationalBlueBadge",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Per-council backups, verified by restoring them; PostgreSQL's own pg_dump and pg_restore.
        .target(
            name: "Backups",
            dependencies: [
                "KerbCore", "Storage", "Audit", "Keys", "Documents", "Tenancy", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: external services
        .target(
            name: "OutboundHTTP",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Payments",
            dependencies: [
                "KerbCore", "OutboundHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "NationalBlueBadge",
            dependencies: [
                "KerbCore", "OutboundHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // GOV.UK Notify: its API client, its template syntax and its address rules.
        .target(
            name: "Notify",
            dependencies: [
                "KerbCore", "OutboundHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ContractFakes",
            dependencies: [
                "Payments", "NationalBlueBadge", "Notify",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: web and executables
        // The casework API as its OpenAPI document says: types and server routing generated from
        // `openapi.yaml` at every build (the document is also served, and names each operation's
        // permission).
        .target(
            name: "KerbAPI",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            resources: [.copy("openapi.yaml")],
            // The generated files import with explicit access levels; SwiftPM's resource accessor
            // imports plainly, which only agrees with them when plain imports are internal. The
            // generator's unused-import warnings are silenced from Swift 6.4 by the files
            // themselves; until then this target (generated code and one small file) is quiet.
            swiftSettings: swiftSettings + [.enableUpcomingFeature("InternalImportsByDefault"), .unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .target(
            name: "Web",
            dependencies: [
                "KerbCore", "Storage", "Audit", "Policy", "Identity", "Casework", "Communications", "Enforcement", "Tenancy", "CQREncode",
                "KerbAPI", "NationalBlueBadge", "Keys", "Documents", "Notify", "Backups",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/Templates"), .copy("Resources/Public")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Kerb",
            dependencies: [
                "Web", "Tenancy", "Storage", "Identity", "Policy", "Casework", "Communications", "KerbCore", "Audit", "Keys",
                "Documents", "Notify", "Backups",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "KerbBench",
            dependencies: [
                "Web", "Tenancy", "Identity", "Audit", "Storage", "KerbCore", "Keys", "Documents", "Casework", "Communications", "Notify",
                "Backups",
                // Synthetic badge holders and the Notify fake, for the messages part.
                "KerbTestSupport", "ContractFakes",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "KerbDemo",
            dependencies: [
                "ContractFakes", "NationalBlueBadge", "Notify",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: tests
        // Four test targets, so each kind runs on its own (`swift test --filter KerbUnitTests`):
        // unit tests need no database (`infra/test --unit` runs them without PostgreSQL), database
        // tests call the services against the test cluster, web tests go through the router or a
        // live socket, and integration tests hold Kerb and the fakes to the outside contracts
        // (GOV.UK Pay, the national service, schemathesis against the served API document).
        .target(
            name: "KerbTestSupport",
            dependencies: [
                "Storage", "Tenancy", "Identity", "Web", "KerbCore", "Audit", "Casework", "Policy", "ContractFakes", "Payments", "Keys",
                "Documents",
                "NationalBlueBadge",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KerbUnitTests",
            dependencies: [
                "KerbCore", "Policy", "Tenancy", "Identity", "Casework", "Enforcement", "Web", "KerbAPI", "Keys", "Documents", "Notify",
                "Communications", "Backups", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KerbDatabaseTests",
            dependencies: [
                "KerbTestSupport", "Storage", "Audit", "Tenancy", "Identity", "Policy", "Casework", "Communications", "Enforcement",
                "KerbCore", "Payments", "NationalBlueBadge", "ContractFakes", "Keys", "Documents", "Notify", "Backups",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KerbWebTests",
            dependencies: [
                "KerbTestSupport", "Storage", "Audit", "Tenancy", "Web", "Identity", "Policy", "Casework", "Communications", "KerbCore",
                "Payments", "NationalBlueBadge", "ContractFakes", "Keys", "Documents", "Backups",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KerbIntegrationTests",
            dependencies: [
                "KerbTestSupport", "Web", "Identity", "Audit", "Casework", "KerbCore", "Payments", "NationalBlueBadge", "ContractFakes",
                "Notify", "Backups", "Storage", "Documents",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
