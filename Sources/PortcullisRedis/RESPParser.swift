import NIOCore

/// Reads RESP2 replies from the bytes a Redis server sent, strictly and within bounds.
///
/// ``next(from:)`` takes one whole reply off the front of a buffer, or leaves the buffer as it is
/// while the reply is still incomplete. Replies to the commands this client sends are small (an
/// integer, a pair of integers, a short string): the limits only have to keep a hostile or broken
/// peer from making the client allocate without bound.
public struct RESPParser: Sendable {
    /// How large a reply may be.
    public struct Limits: Sendable {
        /// The longest bulk string, in bytes.
        public var maximumBulkLength: Int = 64 * 1024
        /// The most elements of one array.
        public var maximumElements: Int = 1024
        /// How deeply arrays may nest (a top-level array is depth 1).
        public var maximumDepth: Int = 8
        /// The longest line (simple string, error, number), in bytes, CRLF excluded.
        public var maximumLineLength: Int = 4096

        public init() {}
    }

    public let limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The first complete reply in `buffer`, which is then moved past it; `nil` (the buffer
    /// untouched) while the reply has not fully arrived.
    /// - Throws: ``RESPParseError`` when the bytes are not a reply within the limits.
    public func next(from buffer: inout ByteBuffer) throws(RESPParseError) -> RESPValue? {
        let view = buffer.readableBytesView
        var index = view.startIndex
        guard let value = try self.value(view, at: &index, depth: 0) else { return nil }
        buffer.moveReaderIndex(forwardBy: index - view.startIndex)
        return value
    }

    private func value(_ bytes: ByteBufferView, at index: inout Int, depth: Int) throws(RESPParseError) -> RESPValue? {
        guard index < bytes.endIndex else { return nil }
        let type = bytes[index]
        // Known types only, before the line is looked at: garbage is refused at once, and with
        // the same reason however the bytes were cut (found by FuzzRESP).
        guard Self.types.contains(type) else { throw .unknownType(type) }
        var cursor = index + 1
        guard let line = try self.line(bytes, at: &cursor) else { return nil }
        let value: RESPValue
        switch type {
        case UInt8(ascii: "+"):
            value = .simpleString(try Self.text(bytes[line]))
        case UInt8(ascii: "-"):
            value = .error(try Self.text(bytes[line]))
        case UInt8(ascii: ":"):
            value = .integer(try Self.number(bytes[line]))
        case UInt8(ascii: "$"):
            let length = try Self.number(bytes[line])
            if length == -1 {
                value = .bulkString(nil)
                break
            }
            guard length >= 0 else { throw .invalidNumber }
            guard length <= self.limits.maximumBulkLength else { throw .tooLarge }
            let end = cursor + Int(length)
            guard end + 2 <= bytes.endIndex else { return nil }
            guard bytes[end] == UInt8(ascii: "\r"), bytes[end + 1] == UInt8(ascii: "\n") else { throw .missingCRLF }
            value = .bulkString(Array(bytes[cursor..<end]))
            cursor = end + 2
        case UInt8(ascii: "*"):
            let count = try Self.number(bytes[line])
            if count == -1 {
                value = .array(nil)
                break
            }
            guard count >= 0 else { throw .invalidNumber }
            guard count <= self.limits.maximumElements, depth < self.limits.maximumDepth else { throw .tooLarge }
            var elements: [RESPValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let element = try self.value(bytes, at: &cursor, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            value = .array(elements)
        default:
            throw .unknownType(type)
        }
        index = cursor
        return value
    }

    private static let types: [UInt8] = Array("+-:$*".utf8)

    /// The range of the line starting at `index` (CRLF excluded), `index` then past its CRLF;
    /// `nil` while the CRLF has not arrived.
    private func line(_ bytes: ByteBufferView, at index: inout Int) throws(RESPParseError) -> Range<Int>? {
        let start = index
        var cursor = start
        while cursor < bytes.endIndex {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "\r") {
                guard cursor + 1 < bytes.endIndex else { return nil }
                guard bytes[cursor + 1] == UInt8(ascii: "\n") else { throw .missingCRLF }
                index = cursor + 2
                return start..<cursor
            }
            // A bare LF inside a line is not RESP.
            if byte == UInt8(ascii: "\n") { throw .missingCRLF }
            cursor += 1
            if cursor - start > self.limits.maximumLineLength { throw .tooLarge }
        }
        return nil
    }

    private static func text(_ bytes: ByteBufferView.SubSequence) throws(RESPParseError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidText }
        return text
    }

    /// A decimal `Int64`: an optional `-`, then 1 to 19 digits, nothing else.
    private static func number(_ bytes: ByteBufferView.SubSequence) throws(RESPParseError) -> Int64 {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else { throw .invalidNumber }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw .invalidNumber }
            magnitude = magnitude * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .invalidNumber }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .invalidNumber }
        return Int64(magnitude)
    }
}
