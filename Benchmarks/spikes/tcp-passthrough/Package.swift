// swift-tools-version:6.2
import PackageDescription

// The ceiling for any proxy on SwiftNIO: bytes copied between a client connection and an upstream
// connection on the same event loop, with no HTTP at all. The e2e script reports the gateway's
// proxy row as a fraction of it. Not part of the product.
let package = Package(
    name: "TCPPassthrough",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")
    ],
    targets: [
        .executableTarget(
            name: "TCPPassthrough",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        )
    ]
)
