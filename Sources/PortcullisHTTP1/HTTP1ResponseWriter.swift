import NIOCore
import NIOHTTP1

/// Turns one HTTP/1 connection's responses into bytes: status line, headers and the body's
/// framing (RFC 9112 §6), the work `HTTPResponseEncoder` did as a handler of its own.
///
/// The connection handler writes the bytes straight to the channel. Cutting NIO's response
/// encoder, pipelining handler and protocol error handler out of the pipeline took three
/// handler hops (each a type-erased `NIOAny` unwrap) and two `epoll_ctl` calls per request (the
/// pipelining handler's read pause between requests) out of the request path; with the
/// upstream's own parser and per-loop metrics, wrk's req/s rose 1.13× (proxy) and 1.15×
/// (answer here) against c3f0f85 in one run (docs/ARCHITECTURE.md).
///
/// Framing follows `HTTPResponseEncoder`'s rules: no body after `1xx`, `204`, `304` or for a
/// `HEAD` request; `content-length` when the head has one; otherwise chunked for HTTP/1.1 and
/// close-delimited for HTTP/1.0 (the caller closes the connection after such a response).
public struct HTTP1ResponseWriter: Sendable {
    /// How the current response's body is delimited.
    public enum Framing: Equatable, Sendable {
        /// The response has no body (a `HEAD` request's, `1xx`, `204`, `304`).
        case bodiless
        /// `content-length` tells the length: the body's bytes are written as they are.
        case length
        /// Each body part is a chunk; the end writes the last chunk.
        case chunked
        /// HTTP/1.0 without a length: the body ends when the connection closes.
        case untilClose
        /// After `101 Switching Protocols`: the bytes of the new protocol, as they are.
        case tunnel
    }

    public private(set) var framing: Framing = .length

    public init() {}

    /// Serialises `head` (a final response, status ≥ 200) into `buffer`, with a `connection`
    /// field when one is given, and sets the framing of the body to come. `head.headers` must be
    /// free of hop-by-hop fields (``ProxyHeaders`` removes them).
    public mutating func writeHead(_ head: HTTPResponseHead, connection: StaticString?, forHEAD: Bool, into buffer: inout ByteBuffer) {
        self.writeHead(
            version: head.version,
            status: head.status,
            hasContentLength: head.headers.contains(name: "content-length"),
            connection: connection,
            forHEAD: forHEAD,
            into: &buffer
        ) { buffer, stripsFraming in
            for (name, value) in head.headers {
                if stripsFraming && (HTTP1Field.name(name, is: "content-length") || HTTP1Field.name(name, is: "transfer-encoding")) {
                    continue
                }
                buffer.writeHTTPField(name, value)
            }
        }
    }

    /// Serialises a final response's head whose fields `writeFields` writes (whole field lines,
    /// free of hop-by-hop fields; without `content-length` and `transfer-encoding` when its
    /// second argument is `true`), and sets the framing of the body to come.
    ///
    /// - Parameter hasContentLength: whether the fields written include a `content-length`.
    public mutating func writeHead(
        version: HTTPVersion,
        status: HTTPResponseStatus,
        hasContentLength: Bool,
        connection: StaticString?,
        forHEAD: Bool,
        into buffer: inout ByteBuffer,
        writeFields: (inout ByteBuffer, _ stripsFraming: Bool) -> Void
    ) {
        Self.writeStatusLine(version: version, status: status, into: &buffer)
        var framing: Framing
        var addChunked = false
        if status == .switchingProtocols {
            framing = .tunnel
        } else if !status.mayHaveResponseBody {
            framing = .bodiless
        } else if hasContentLength {
            framing = .length
        } else if version.major == 1 && version.minor >= 1 {
            framing = .chunked
            addChunked = true
        } else {
            framing = .untilClose
        }
        writeFields(&buffer, framing == .bodiless || framing == .tunnel)
        if let connection {
            buffer.writeHTTPField("connection", connection)
        }
        if addChunked {
            // A HEAD response may say how the body of a GET would be sent (RFC 9112 §6.1).
            buffer.writeHTTPField("transfer-encoding", "chunked")
        }
        buffer.writeStaticString("\r\n")
        if forHEAD && framing != .tunnel { framing = .bodiless }
        self.framing = framing
    }

    /// Serialises an interim (`1xx`) response: its head alone.
    public static func writeInterim(_ status: HTTPResponseStatus, version: HTTPVersion, into buffer: inout ByteBuffer) {
        Self.writeStatusLine(version: version, status: status, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// The bytes to write for one body part; none when the response has no body.
    public func body(_ part: ByteBuffer, allocator: ByteBufferAllocator) -> HTTP1Chunked.Bytes {
        switch self.framing {
        case .bodiless:
            .none
        case .length, .untilClose, .tunnel:
            .one(part)
        case .chunked:
            HTTP1Chunked.frame(part, allocator: allocator)
        }
    }

    /// Writes what ends the body (the last chunk) into `buffer`.
    public func writeEnd(into buffer: inout ByteBuffer) {
        if self.framing == .chunked {
            buffer.writeStaticString(HTTP1Chunked.last)
        }
    }

    // MARK: Pieces

    public static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        if version.major == 1 && version.minor == 0 {
            buffer.writeStaticString("HTTP/1.0 ")
        } else {
            buffer.writeStaticString("HTTP/1.1 ")
        }
        let code = Int(status.code)
        buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 100 % 10))
        buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10))
        buffer.writeInteger(UInt8(truncatingIfNeeded: 0x30 + code % 10))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
    }
}
