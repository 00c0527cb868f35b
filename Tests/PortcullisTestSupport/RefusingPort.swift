#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback port on which every connection is refused, for "upstream down" tests.
///
/// The port is held by a socket that is bound but never listens, and stays open for the whole test
/// run: connecting gets a reset, and no concurrently running test or server can bind the port in
/// between (binding and closing a port, as this used to do, left that race open).
package enum RefusingPort {
    package static let port: Int = Self.bind(listening: false)

    /// A loopback port that accepts connections (the kernel completes them into its backlog) but
    /// never reads or answers: every request to it waits for its timeout.
    package static let silentPort: Int = Self.bind(listening: true)

    private static func bind(listening: Bool) -> Int {
        guard let (descriptor, port) = LoopbackSocket.bound() else {
            preconditionFailure("bind() on 127.0.0.1 failed")
        }
        if listening {
            precondition(listen(descriptor, 128) == 0, "listen() failed")
        }
        return port
    }
}
