import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Sends raw bytes to a loopback port and reads the reply until the server closes: for requests
/// an HTTP client library would refuse to send (non-UTF-8 headers, for example).
enum RawHTTP {
    static func exchange(port: Int, request: [UInt8]) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            precondition(descriptor >= 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { return "" }
            _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            var reply: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                reply.append(contentsOf: buffer[0..<count])
            }
            return String(decoding: reply, as: UTF8.self)
        }
    }
}
