// swift-tools-version:5.4
// Fuzz targets for libFuzzer, apart from the main package so that only they are built with
// `-sanitize=fuzzer,address` (swift-protobuf's FuzzTesting/ is the model). On this toolchain the
// targets need tools version 5.4 or lower and `-parse-as-library`; fuzz.sh builds and runs them.
// The entry points live in the main package (`@_spi(Fuzzing)`), where the test suite replays the
// corpora and FailCases/ through them without sanitizers.
import PackageDescription

let package = Package(
    name: "FuzzTesting",
    platforms: [.macOS("15.0")],
    dependencies: [
        .package(name: "portcullis", path: ".."),
    ],
    targets: [
        .executableTarget(name: "FuzzAuthorization", dependencies: [.product(name: "PortcullisAuth", package: "portcullis")]),
        .executableTarget(name: "FuzzCompactJWT", dependencies: [.product(name: "PortcullisAuth", package: "portcullis")]),
        .executableTarget(name: "FuzzJSONClaims", dependencies: [.product(name: "PortcullisAuth", package: "portcullis")]),
        .executableTarget(name: "FuzzIntrospectionAnswer", dependencies: [.product(name: "PortcullisAuth", package: "portcullis")]),
        .executableTarget(name: "FuzzLDAPFilter", dependencies: [.product(name: "PortcullisLDAP", package: "portcullis")]),
        .executableTarget(name: "FuzzRequestTarget", dependencies: [.product(name: "PortcullisGateway", package: "portcullis")]),
        .executableTarget(name: "FuzzForwardAuth", dependencies: [.product(name: "PortcullisGateway", package: "portcullis")]),
        .executableTarget(name: "FuzzUpstreamResponse", dependencies: [.product(name: "PortcullisGateway", package: "portcullis")]),
        .executableTarget(name: "FuzzRESP", dependencies: [.product(name: "PortcullisRedis", package: "portcullis")]),
        .executableTarget(name: "FuzzConfig", dependencies: [.product(name: "PortcullisConfig", package: "portcullis")]),
    ]
)
