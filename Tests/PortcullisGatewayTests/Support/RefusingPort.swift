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
enum RefusingPort {
    static let port: Int = Self.bind(listening: false)

    /// A loopback port that accepts connections (the kernel completes them into its backlog) but
    /// never reads or answers: every request to it waits for its timeout.
    static let silentPort: Int = Self.bind(listening: true)

    private static func bind(listening: Bool) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(descriptor >= 0, "socket() failed")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        precondition(bound, "bind() on 127.0.0.1 failed")
        if listening {
            precondition(listen(descriptor, 128) == 0, "listen() failed")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
