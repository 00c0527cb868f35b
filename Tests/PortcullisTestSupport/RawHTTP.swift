import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Sends raw bytes to a loopback port and reads the reply until the server closes: for requests
/// an HTTP client library would refuse to send (non-UTF-8 headers, for example).
package enum RawHTTP {
    package static func exchange(port: Int, request: [UInt8]) async throws -> String {
        try await BlockingThread.run {
            guard let connection = Connection(port: port) else { return "" }
            connection.send(bytes: request)
            return connection.readToEnd().text
        }
    }
}

extension RawHTTP {
    /// A blocking loopback connection for conversations in steps: send, read a reply, shut the
    /// sending side. Every read gives up after 10 s; use it from `NIOThreadPool` or a test's own task.
    package final class Connection {
        private let descriptor: Int32
        private var pending: [UInt8] = []

        package init?(port: Int) {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { return nil }
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
            guard connected == 0 else {
                close(descriptor)
                return nil
            }
            self.descriptor = descriptor
        }

        deinit {
            close(self.descriptor)
        }

        package func send(_ text: String) {
            self.send(bytes: Array(text.utf8))
        }

        package func send(bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, 0) }
        }

        /// Shuts the sending side (a half-close): the server sees the end of its input.
        package func shutdownWrite() {
            shutdown(self.descriptor, Int32(SHUT_WR))
        }

        /// Reads until the bytes read so far contain `marker` (returning them and keeping what
        /// follows for the next read), or until the server closes or 10 s pass.
        package func read(through marker: String) -> String {
            let needle = Array(marker.utf8)
            while true {
                if let range = Self.find(needle, in: self.pending) {
                    let reply = Array(self.pending[..<range])
                    self.pending.removeFirst(range)
                    return String(decoding: reply, as: UTF8.self)
                }
                guard self.receive() else {
                    defer { self.pending.removeAll() }
                    return String(decoding: self.pending, as: UTF8.self)
                }
            }
        }

        /// Reads until the server closes (or 10 s pass); `closed` says whether it did.
        package func readToEnd() -> (text: String, closed: Bool) {
            var closed = false
            while true {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
                if count == 0 { closed = true }
                if count <= 0 { break }
                self.pending.append(contentsOf: buffer[0..<count])
            }
            defer { self.pending.removeAll() }
            return (String(decoding: self.pending, as: UTF8.self), closed)
        }

        private func receive() -> Bool {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            self.pending.append(contentsOf: buffer[0..<count])
            return true
        }

        /// The end index of `needle`'s first occurrence in `haystack`.
        private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
                return start + needle.count
            }
            return nil
        }
    }
}
