import NIOCore
import NIOPosix

/// Finds a loopback port that is free and not listened on.
enum ServerBootstrapShim {
    static func bindAndClose() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .wait()
        let port = channel.localAddress?.port ?? 1
        try channel.close().wait()
        return port
    }
}
