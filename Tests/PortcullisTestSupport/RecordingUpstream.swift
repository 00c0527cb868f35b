import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A raw TCP upstream on loopback that records every byte it receives and answers each complete
/// request with bytes the test scripts, so tests see exactly what the gateway sent upstream and
/// can answer with framing no HTTP library would produce.
package final class RecordingUpstream: TestServer {
    /// What to send back for one request (its raw text), and whether to close the connection after.
    package struct Reply: Sendable {
        package var bytes: [UInt8]
        package var close = false

        package init(bytes: [UInt8], close: Bool = false) {
            self.bytes = bytes
            self.close = close
        }

        package static func ok(_ body: String = "ok", headers: String = "") -> Reply {
            Reply(bytes: Array("HTTP/1.1 200 OK\r\ncontent-length: \(body.utf8.count)\r\n\(headers)\r\n\(body)".utf8))
        }
    }

    package let port: Int
    private let channel: any Channel
    private let state = NIOLockedValueBox<(bytes: [UInt8], requests: [String], connections: Int)>(([], [], 0))

    /// Every byte received, over every connection, in arrival order per connection.
    package var received: String { String(decoding: self.state.withLockedValue { $0.bytes }, as: UTF8.self) }
    /// The complete requests received (head and body), in order.
    package var requests: [String] { self.state.withLockedValue { $0.requests } }
    /// Connections accepted.
    package var connections: Int { self.state.withLockedValue { $0.connections } }

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    package static func start(reply: @escaping @Sendable (String) -> Reply = { _ in .ok() }) async throws -> RecordingUpstream {
        let box = NIOLockedValueBox<RecordingUpstream?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(upstream: box, reply: reply))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let upstream = RecordingUpstream(channel: channel)
        box.withLockedValue { $0 = upstream }
        return upstream
    }

    package func stop() async {
        try? await self.channel.close()
    }

    fileprivate func record(bytes: ByteBuffer) {
        self.state.withLockedValue { $0.bytes += Array(buffer: bytes) }
    }

    fileprivate func record(request: String) {
        self.state.withLockedValue { $0.requests.append(request) }
    }

    fileprivate func connected() {
        self.state.withLockedValue { $0.connections += 1 }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let upstream: NIOLockedValueBox<RecordingUpstream?>
        let reply: @Sendable (String) -> Reply
        var pending: [UInt8] = []

        init(upstream: NIOLockedValueBox<RecordingUpstream?>, reply: @escaping @Sendable (String) -> Reply) {
            self.upstream = upstream
            self.reply = reply
        }

        func channelActive(context: ChannelHandlerContext) {
            self.upstream.withLockedValue { $0 }?.connected()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = self.unwrapInboundIn(data)
            let upstream = self.upstream.withLockedValue { $0 }
            upstream?.record(bytes: buffer)
            self.pending += Array(buffer: buffer)
            while let length = Self.completeRequestLength(self.pending) {
                let request = String(decoding: self.pending[..<length], as: UTF8.self)
                self.pending.removeFirst(length)
                upstream?.record(request: request)
                let reply = self.reply(request)
                let written = context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: reply.bytes)))
                if reply.close {
                    written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                    return
                }
            }
        }

        /// The length of the first complete request in `bytes` (content-length or chunked framing).
        static func completeRequestLength(_ bytes: [UInt8]) -> Int? {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
            let head = text[..<headEnd.lowerBound].lowercased()
            let headLength = text.utf8.distance(from: text.startIndex, to: headEnd.upperBound)
            if head.contains("transfer-encoding: chunked") {
                let rest = text[headEnd.upperBound...]
                guard let end = rest.range(of: "0\r\n\r\n") else { return nil }
                return text.utf8.distance(from: text.startIndex, to: end.upperBound)
            }
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            return bytes.count >= headLength + length ? headLength + length : nil
        }
    }
}
