// swift-tools-version:6.2
import PackageDescription

// The benchmark harness is its own package (as swift-nio does it) so that users of Portcullis never
// pull it in. Run from this folder: `swift package benchmark` (add `--filter` to pick suites).
let package = Package(
    name: "PortcullisBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "portcullis", path: "../"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // What every suite shares (how it measures).
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Support"
        ),
        .executableTarget(
            name: "AuthHotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PortcullisAuth", package: "portcullis"),
                .product(name: "PortcullisAuthEngine", package: "portcullis"),
                .product(name: "PortcullisConfig", package: "portcullis"),
                .product(name: "PortcullisGateway", package: "portcullis"),
                .product(name: "PortcullisMetrics", package: "portcullis"),
            ],
            path: "Benchmarks/AuthHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "JWTHotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "PortcullisAuth", package: "portcullis"),
                .product(name: "PortcullisClientAuth", package: "portcullis"),
                .product(name: "PortcullisConfig", package: "portcullis"),
            ],
            path: "Benchmarks/JWTHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "IntrospectionHotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
                .product(name: "PortcullisAuth", package: "portcullis"),
                .product(name: "PortcullisAuthEngine", package: "portcullis"),
                .product(name: "PortcullisConfig", package: "portcullis"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/IntrospectionHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "LDAPHotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
                .product(name: "PortcullisAuth", package: "portcullis"),
                .product(name: "PortcullisLDAP", package: "portcullis"),
            ],
            path: "Benchmarks/LDAPHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "ClientAuthHotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
                .product(name: "PortcullisClientAuth", package: "portcullis"),
                .product(name: "PortcullisConfig", package: "portcullis"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/ClientAuthHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        .executableTarget(
            name: "RequestPathHotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
                .product(name: "PortcullisClientAuth", package: "portcullis"),
                .product(name: "PortcullisConfig", package: "portcullis"),
                .product(name: "PortcullisGateway", package: "portcullis"),
                .product(name: "PortcullisMetrics", package: "portcullis"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/RequestPathHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
    ]
)
