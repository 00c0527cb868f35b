// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portcullis", targets: ["portcullis"]),
        /// The inbound decision core: credentials, authenticators, policy and caches, usable without the
        /// gateway; no HTTP client, no Hummingbird, no libldap.
        .library(name: "PortcullisAuth", targets: ["PortcullisAuth"]),
        /// The LDAP user store on OpenLDAP's libldap (Debian: libldap-dev).
        .library(name: "PortcullisLDAP", targets: ["PortcullisLDAP"]),
        /// Authenticators and policies built from a `GatewayConfig`, with the identity-provider clients
        /// (JWKS, introspection, token endpoints) on AsyncHTTPClient.
        .library(name: "PortcullisAuthEngine", targets: ["PortcullisAuthEngine"]),
        /// Typed, validated configuration read from TOML.
        .library(name: "PortcullisConfig", targets: ["PortcullisConfig"]),
        /// A Hummingbird middleware that enforces an `auth` array on a Swift service.
        .library(name: "PortcullisHummingbird", targets: ["PortcullisHummingbird"]),
        /// The metric series of the contract and their Prometheus exposition.
        .library(name: "PortcullisMetrics", targets: ["PortcullisMetrics"]),
        /// Outbound client auth: the JWT issuer (token managers and the AsyncHTTPClient wrapper follow).
        .library(name: "PortcullisClientAuth", targets: ["PortcullisClientAuth"]),
        /// The gateway: SwiftNIO listener, route table, request handler, upstream pools and metrics endpoint.
        .library(name: "PortcullisGateway", targets: ["PortcullisGateway"]),
        /// The HTTP/1 wire format the gateway and the load generator write and read themselves.
        .library(name: "PortcullisHTTP1", targets: ["PortcullisHTTP1"]),
        /// `portcullis loadtest`'s engine: open- and closed-loop load with per-class HdrHistograms.
        .library(name: "PortcullisLoadTest", targets: ["PortcullisLoadTest"]),
        /// A small RESP2 client on SwiftNIO: the shared store of the failed-auth limits.
        .library(name: "PortcullisRedis", targets: ["PortcullisRedis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            // OpenLDAP's libldap, for the LDAP user store.
            name: "CLDAP",
            path: "Sources/CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap-dev"])]
        ),
        .target(
            name: "PortcullisConfig",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisMetrics",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            // Certificate, key and PKCS#12 loading shared by the listener, the upstream client and
            // the identity-provider clients; not a product.
            name: "PortcullisTLS",
            dependencies: [
                "PortcullisConfig",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisAuth",
            dependencies: [
                "PortcullisConfig",
                "PortcullisMetrics",
                "PortcullisTLS",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisLDAP",
            dependencies: [
                "PortcullisAuth",
                "PortcullisConfig",
                "PortcullisMetrics",
                "CLDAP",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisAuthEngine",
            dependencies: [
                "PortcullisAuth",
                "PortcullisLDAP",
                "PortcullisConfig",
                "PortcullisMetrics",
                "PortcullisTLS",
                // The clients of identity providers authenticate themselves as outbound calls do.
                "PortcullisClientAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisClientAuth",
            dependencies: [
                "PortcullisConfig",
                "PortcullisTLS",
                "PortcullisMetrics",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisHTTP1",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            // No Swift Redis client resolves here (valkey-swift and RediStack are not in the
            // package set): a small one for the few commands the throttling store sends.
            name: "PortcullisRedis",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisLoadTest",
            dependencies: [
                "PortcullisHTTP1",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisHummingbird",
            dependencies: [
                "PortcullisAuth",
                "PortcullisMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PortcullisGateway",
            dependencies: [
                "PortcullisConfig",
                "PortcullisTLS",
                "PortcullisAuth",
                "PortcullisAuthEngine",
                "PortcullisLDAP",
                "PortcullisClientAuth",
                "PortcullisMetrics",
                "PortcullisHTTP1",
                "PortcullisRedis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // For EmbeddedGatewayConnection, the benchmarks' socket-free connection.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "PortcullisGateway",
                "PortcullisLoadTest",
                "PortcullisConfig",
                "PortcullisAuth",
                "PortcullisClientAuth",
                "PortcullisTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            // What the test targets share: real servers started and stopped by a test (slapd,
            // django-oauth-toolkit, redis-server, nginx), loopback upstreams, a test PKI, the
            // command runner. Not a product.
            name: "PortcullisTestSupport",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "Tests/PortcullisTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisConfigTests",
            dependencies: ["PortcullisConfig"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisAuthTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "PortcullisAuth",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "PortcullisConfig",
                "PortcullisMetrics",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisMetricsTests",
            dependencies: ["PortcullisMetrics"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisLDAPTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "PortcullisLDAP",
                "PortcullisAuth",
                "PortcullisTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisRedisTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "NIOCore", package: "swift-nio"),
                "PortcullisRedis",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisClientAuthTests",
            dependencies: [
                "PortcullisClientAuth",
                "PortcullisAuth",
                "PortcullisConfig",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisHummingbirdTests",
            dependencies: [
                "PortcullisHummingbird",
                "PortcullisAuth",
                "PortcullisConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisGatewayTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                // The command-line tests run the built executable.
                "portcullis",
                "PortcullisGateway",
                "PortcullisHTTP1",
                "PortcullisLoadTest",
                "PortcullisTestSupport",
                "PortcullisAuth",
                "PortcullisAuthEngine",
                "PortcullisLDAP",
                "PortcullisConfig",
                "PortcullisMetrics",
                "PortcullisRedis",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
