import NIOCore

/// The chunked transfer coding (RFC 9112 §7.1) for the bodies the gateway sends: responses to
/// HTTP/1.1 clients without a `content-length`, and requests upstream whose client sent chunks
/// (or an HTTP/2 body without a length).
public enum HTTP1Chunked {
    /// What one body part becomes on the wire.
    public enum Bytes {
        case none
        case one(ByteBuffer)
        /// A chunk's size line, its data, then `\r\n` (``crlf``).
        case chunk(size: ByteBuffer, data: ByteBuffer)
    }

    /// Chunks this small are copied next to their size line: one buffer (one iovec) instead of three.
    public static let copiedChunkSize = 4096

    /// The last chunk, without trailers.
    public static let last: StaticString = "0\r\n\r\n"

    public static let crlf = ByteBuffer(integer: UInt16(0x0D0A))

    /// Frames `part` as one chunk; an empty part is skipped (an empty chunk would end the body).
    public static func frame(_ part: ByteBuffer, allocator: ByteBufferAllocator) -> Bytes {
        guard part.readableBytes > 0 else { return .none }
        var size = allocator.buffer(capacity: 12)
        size.writeString(String(part.readableBytes, radix: 16))
        size.writeStaticString("\r\n")
        if part.readableBytes <= Self.copiedChunkSize {
            size.reserveCapacity(minimumWritableBytes: part.readableBytes + 2)
            var part = part
            size.writeBuffer(&part)
            size.writeStaticString("\r\n")
            return .one(size)
        }
        return .chunk(size: size, data: part)
    }

    /// Writes `bytes` on `context` (not flushed): `false` when there was nothing to write.
    @discardableResult
    public static func write(_ bytes: Bytes, on context: ChannelHandlerContext) -> Bool {
        switch bytes {
        case .none:
            return false
        case .one(let buffer):
            context.write(NIOAny(buffer), promise: nil)
        case .chunk(let size, let data):
            context.write(NIOAny(size), promise: nil)
            context.write(NIOAny(data), promise: nil)
            context.write(NIOAny(Self.crlf), promise: nil)
        }
        return true
    }
}
