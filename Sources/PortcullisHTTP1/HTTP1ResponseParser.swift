import NIOCore
import NIOHTTP1

/// Reads the HTTP/1 responses of one upstream connection (RFC 9112), one request at a time.
///
/// The gateway parses upstream responses itself instead of through NIO's `HTTPResponseDecoder`
/// and `HTTPRequestEncoder` handlers: those two handlers, their type-erased parts and the
/// decoder's write observation were ~12% of the proxy path's CPU in perf (the decoder's
/// `decode` 21% inclusive of what it delivered; this parser is 6% inclusive), and a parser that
/// knows it reads one response per request needs none of it (docs/ARCHITECTURE.md).
///
/// It is strict, because a pooled connection serves many clients: a response it cannot frame
/// with certainty (both `content-length` and `transfer-encoding`, differing lengths, a bad chunk,
/// obs-fold, whitespace before a colon, control characters, a header block over
/// ``maximumHeadBytes``) is an error, and the connection is closed rather than reused. Bytes
/// after a response's end make the connection unfit for reuse, and bytes while no request is
/// outstanding are an error: one client's response can never be read as another's.
///
/// Pull-based: the handler appends what it read (``append(_:)``), then takes events with
/// ``next()`` until it returns `nil`. Handling an event may lend the connection to the next
/// request (``expectResponse(toHEAD:)``) between two calls.
public struct HTTP1ResponseParser: Sendable {
    public enum Event {
        case head(HTTP1ResponseHead)
        case body(ByteBuffer)
        case end
    }

    /// Why a response could not be read.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformedStatusLine
        case malformedHeaderField
        case headerBlockTooLarge
        case invalidContentLength
        /// `content-length` together with `transfer-encoding` (RFC 9112 §6.3 ¶3).
        case conflictingFraming
        case malformedChunk
        /// Bytes from the upstream while no request was outstanding.
        case unsolicitedData
        /// A `101` to a request that asked for no upgrade.
        case unexpectedSwitch

        public var description: String {
            switch self {
            case .malformedStatusLine: "malformed status line"
            case .malformedHeaderField: "malformed header field"
            case .headerBlockTooLarge: "response header block too large"
            case .invalidContentLength: "invalid content-length"
            case .conflictingFraming: "both content-length and transfer-encoding"
            case .malformedChunk: "malformed chunk"
            case .unsolicitedData: "data while no request was outstanding"
            case .unexpectedSwitch: "101 Switching Protocols without an upgrade"
            }
        }
    }

    /// The largest response header block read.
    public static let maximumHeadBytes = 64 * 1024
    /// The longest chunk-size line, extensions included.
    public static let maximumChunkLine = 1024

    private enum State {
        /// No request outstanding.
        case idle
        /// Reading a head; `scanned` bytes have been searched for its end already.
        case head(scanned: Int)
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkEnd
        case trailers
        /// No length: the body ends when the connection does.
        case untilClose
        /// After a `101`: every byte belongs to the upgraded protocol.
        case tunnel
        case failed
    }

    private var state: State = .idle
    private var input: ByteBuffer?
    private var toHEAD = false
    private var upgradeRequested = false
    /// Whether the connection may serve another request after the current response.
    public private(set) var keepAlive = true
    /// Whether body bytes are given as `.body` events; a reader that only needs to know where
    /// a response ends (the load tester) turns this off and the bytes are skipped unseen.
    public var deliversBody = true

    /// Whether the body of the current response ends only with the connection.
    public var readsUntilClose: Bool {
        if case .untilClose = self.state { return true }
        return false
    }

    /// Whether no response is outstanding.
    public var isIdle: Bool {
        if case .idle = self.state { return true }
        return false
    }

    /// A request was sent: its response is what comes next. `upgrade`: the request asked to
    /// switch protocols, so a `101` is accepted, after which every byte is the new protocol's.
    public init() {}

    public mutating func expectResponse(toHEAD: Bool, upgrade: Bool = false) {
        self.state = .head(scanned: 0)
        self.toHEAD = toHEAD
        self.upgradeRequested = upgrade
    }

    public mutating func append(_ bytes: ByteBuffer) {
        if var input = self.input, input.readableBytes > 0 {
            self.input = nil  // keeps the append below from copying the storage
            var bytes = bytes
            input.writeBuffer(&bytes)
            self.input = input
        } else {
            self.input = bytes
        }
    }

    /// The next event from the bytes appended so far, or `nil` when more are needed.
    public mutating func next() throws(ParseError) -> Event? {
        while true {
            switch self.state {
            case .idle:
                if let input = self.input, input.readableBytes > 0 {
                    return try self.fail(.unsolicitedData)
                }
                self.input = nil
                return nil
            case .head(let scanned):
                guard var input = self.input else { return nil }
                guard let length = Self.headLength(input, from: scanned) else {
                    if input.readableBytes > Self.maximumHeadBytes { return try self.fail(.headerBlockTooLarge) }
                    self.state = .head(scanned: input.readableBytes)
                    return nil
                }
                guard length <= Self.maximumHeadBytes else { return try self.fail(.headerBlockTooLarge) }
                let parsed = input.withUnsafeReadableBytes { bytes in
                    Result { () throws(ParseError) in try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<length])) }
                }
                var head: ParsedHead
                switch parsed {
                case .success(let value): head = value
                case .failure(let error): return try self.fail(error)
                }
                // The field lines stay where they were read: a slice, no copy.
                head.head.fields = HTTP1FieldBlock(bytes: input.getSlice(at: input.readerIndex + head.fields.lowerBound, length: head.fields.count) ?? ByteBuffer())
                input.moveReaderIndex(forwardBy: length)
                self.input = input
                let code = Int(head.head.status.code)
                if code == 101 {
                    guard self.upgradeRequested else { return try self.fail(.unexpectedSwitch) }
                    self.state = .tunnel
                    self.keepAlive = false
                    return .head(head.head)
                }
                if code >= 100 && code < 200 {
                    // Interim: 100 Continue and its like are dropped (the gateway answers the
                    // client's Expect itself).
                    self.state = .head(scanned: 0)
                    continue
                }
                self.keepAlive = self.keepAlive && head.keepAlive
                if self.toHEAD || code == 204 || code == 304 {
                    self.state = .fixed(remaining: 0)
                } else if head.chunked {
                    self.state = .chunkSize
                } else if let length = head.contentLength {
                    self.state = .fixed(remaining: length)
                } else {
                    self.state = .untilClose
                    self.keepAlive = false
                }
                return .head(head.head)
            case .fixed(let remaining):
                if remaining == 0 { return self.ended() }
                guard var input = self.input, input.readableBytes > 0 else { return nil }
                let count = min(remaining, input.readableBytes)
                self.state = .fixed(remaining: remaining - count)
                guard self.deliversBody else {
                    self.input?.moveReaderIndex(forwardBy: count)
                    continue
                }
                self.input = nil
                let slice = input.readSlice(length: count)
                self.input = input
                if let slice { return .body(slice) }
                return nil
            case .chunkSize:
                guard var input = self.input else { return nil }
                guard let lineLength = Self.lineLength(input) else {
                    if input.readableBytes > Self.maximumChunkLine { return try self.fail(.malformedChunk) }
                    return nil
                }
                guard lineLength >= 0, lineLength <= Self.maximumChunkLine, let size = Self.chunkSize(input, lineLength: lineLength) else {
                    return try self.fail(.malformedChunk)
                }
                self.input = nil
                input.moveReaderIndex(forwardBy: lineLength + 2)
                self.input = input
                self.state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard var input = self.input, input.readableBytes > 0 else { return nil }
                let count = min(remaining, input.readableBytes)
                self.state = count == remaining ? .chunkEnd : .chunkData(remaining: remaining - count)
                guard self.deliversBody else {
                    self.input?.moveReaderIndex(forwardBy: count)
                    continue
                }
                self.input = nil
                let slice = input.readSlice(length: count)
                self.input = input
                if let slice { return .body(slice) }
                return nil
            case .chunkEnd:
                guard var input = self.input, input.readableBytes >= 2 else { return nil }
                guard input.getInteger(at: input.readerIndex, as: UInt16.self) == 0x0D0A else {
                    return try self.fail(.malformedChunk)
                }
                self.input = nil
                input.moveReaderIndex(forwardBy: 2)
                self.input = input
                self.state = .chunkSize
            case .trailers:
                // Trailer fields are read and dropped; the empty line ends the response.
                guard var input = self.input, let lineLength = Self.lineLength(input) else {
                    if let input = self.input, input.readableBytes > Self.maximumHeadBytes { return try self.fail(.headerBlockTooLarge) }
                    return nil
                }
                guard lineLength >= 0 else { return try self.fail(.malformedHeaderField) }
                if lineLength > 0 {
                    let valid = input.withUnsafeReadableBytes { bytes in
                        Self.parseField(UnsafeRawBufferPointer(rebasing: bytes[..<lineLength])) != nil
                    }
                    guard valid else { return try self.fail(.malformedHeaderField) }
                }
                self.input = nil
                input.moveReaderIndex(forwardBy: lineLength + 2)
                self.input = input
                if lineLength == 0 { return self.ended() }
            case .untilClose, .tunnel:
                guard var input = self.input, input.readableBytes > 0 else { return nil }
                self.input = nil
                let slice = input.readSlice(length: input.readableBytes)
                if let slice { return .body(slice) }
                return nil
            case .failed:
                return nil
            }
        }
    }

    /// The connection closed: `.end` when that ends the current body, `nil` otherwise (an
    /// outstanding response is then incomplete, which the caller reports).
    public mutating func endOfInput() -> Event? {
        guard case .untilClose = self.state else { return nil }
        self.state = .idle
        return .end
    }

    private mutating func ended() -> Event {
        self.state = .idle
        if let input = self.input, input.readableBytes > 0 {
            // More than the response: whatever it is, the connection is not trusted again.
            self.keepAlive = false
        }
        self.input = nil
        return .end
    }

    private mutating func fail(_ error: ParseError) throws(ParseError) -> Event? {
        self.state = .failed
        self.keepAlive = false
        self.input = nil
        throw error
    }

    // MARK: Scanning

    /// The length of the head (through its empty line) if `input` holds all of it. `scanned`:
    /// how many bytes earlier calls searched without finding its end.
    private static func headLength(_ input: ByteBuffer, from scanned: Int) -> Int? {
        input.withUnsafeReadableBytes { bytes -> Int? in
            // The head ends with the first LF that closes CR LF CR LF; from line end to line end.
            var index = max(scanned, 0)
            while let lf = HTTP1Scan.lineFeed(in: bytes, from: index) {
                if lf >= 3 && bytes[lf - 1] == 0x0D && bytes[lf - 2] == 0x0A && bytes[lf - 3] == 0x0D {
                    return lf + 1
                }
                index = lf + 1
            }
            return nil
        }
    }

    /// The length of the line at the reader index, without its CRLF, when the line is complete;
    /// `-1` for a line ended by a bare LF.
    private static func lineLength(_ input: ByteBuffer) -> Int? {
        input.withUnsafeReadableBytes { bytes -> Int? in
            guard let lf = HTTP1Scan.lineFeed(in: bytes, from: 0) else { return nil }
            guard lf > 0, bytes[lf - 1] == 0x0D else { return -1 }
            return lf - 1
        }
    }

    /// A chunk-size line's size (hex digits, then optional extensions); `nil` if malformed.
    private static func chunkSize(_ input: ByteBuffer, lineLength: Int) -> Int? {
        input.withUnsafeReadableBytes { bytes -> Int? in
            var size = 0
            var digits = 0
            var index = 0
            while index < lineLength, let digit = Self.hexValue(bytes[index]) {
                guard digits < 15 else { return nil }  // no overflow, and no absurd chunk
                size = size << 4 | digit
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if index < lineLength {
                // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ) ): ignored, but
                // only after a ';' and without control characters.
                var rest = index
                while rest < lineLength, bytes[rest] == 0x20 || bytes[rest] == 0x09 { rest += 1 }
                guard rest < lineLength, bytes[rest] == UInt8(ascii: ";") else { return nil }
                while rest < lineLength {
                    let byte = bytes[rest]
                    guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { return nil }
                    rest += 1
                }
            }
            return size
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    // MARK: The head

    struct ParsedHead {
        /// Its fields are set by the caller, from ``fields``.
        var head: HTTP1ResponseHead
        /// Where the field lines are in the bytes parsed.
        var fields: Range<Int>
        var contentLength: Int?
        var chunked: Bool
        var keepAlive: Bool
    }

    /// Parses a whole head: the status line, the fields and the empty line.
    static func parseHead(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> ParsedHead {
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
        guard let firstLF = HTTP1Scan.lineFeed(in: bytes, from: 0), firstLF >= 13, bytes[firstLF - 1] == 0x0D else {
            throw .malformedStatusLine
        }
        let line = UnsafeRawBufferPointer(rebasing: bytes[..<(firstLF - 1)])
        guard
            line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"), line[2] == UInt8(ascii: "T"),
            line[3] == UInt8(ascii: "P"), line[4] == UInt8(ascii: "/"), line[5] == UInt8(ascii: "1"),
            line[6] == UInt8(ascii: "."), line[7] == UInt8(ascii: "0") || line[7] == UInt8(ascii: "1"),
            line[8] == 0x20
        else { throw .malformedStatusLine }
        let minor = Int(line[7] - UInt8(ascii: "0"))
        var code = 0
        for index in 9..<12 {
            let byte = line[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .malformedStatusLine }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard code >= 100 else { throw .malformedStatusLine }
        var reason = ""
        if line.count > 12 {
            guard line[12] == 0x20 else { throw .malformedStatusLine }
            let phrase = UnsafeRawBufferPointer(rebasing: line[13...])
            guard HTTP1Scan.isFieldValue(phrase) else { throw .malformedStatusLine }
            reason = String(decoding: phrase, as: UTF8.self)
        }

        var contentLength: Int?
        /// Whether a Transfer-Encoding field was present, and whether its final coding is chunked.
        var transferCoding: (present: Bool, chunked: Bool) = (false, false)
        var closes = minor == 0
        var start = firstLF + 1
        while true {
            guard let lf = HTTP1Scan.lineFeed(in: bytes, from: start), lf > start, bytes[lf - 1] == 0x0D else {
                throw .malformedHeaderField
            }
            if lf - 1 == start { break }  // the empty line
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<(lf - 1)])
            guard let (name, value) = Self.parseField(raw) else { throw .malformedHeaderField }
            // Read as bytes: a response's head makes no string per field.
            switch name.count {
            case 14 where HTTP1Field.name(name, is: "content-length"):
                // One length only (a repeated one, even equal, is refused as llhttp does).
                guard contentLength == nil, let length = Self.decimal(value) else { throw .invalidContentLength }
                contentLength = length
            case 17 where HTTP1Field.name(name, is: "transfer-encoding"):
                var last: UnsafeRawBufferPointer?
                HTTP1Field.forEachListElement(value) { last = $0 }
                transferCoding = (true, last.map { HTTP1Field.name($0, is: "chunked") } ?? false)
            case 10 where HTTP1Field.name(name, is: "connection"):
                HTTP1Field.forEachListElement(value) { token in
                    if HTTP1Field.name(token, is: "close") {
                        closes = true
                    } else if minor == 0 && HTTP1Field.name(token, is: "keep-alive") {
                        closes = false
                    }
                }
            default:
                break
            }
            start = lf + 1
        }
        if transferCoding.present && contentLength != nil { throw .conflictingFraming }
        let chunked = transferCoding.chunked
        if transferCoding.present && !chunked {
            // Another final coding: the body ends with the connection (RFC 9112 §6.3 ¶4).
            closes = true
        }
        let status = HTTPResponseStatus(statusCode: code, reasonPhrase: reason)
        let head = HTTP1ResponseHead(version: HTTPVersion(major: 1, minor: minor), status: status, fields: .empty, hasContentLength: contentLength != nil)
        return ParsedHead(head: head, fields: (firstLF + 1)..<(start), contentLength: chunked ? nil : contentLength, chunked: chunked, keepAlive: !closes)
    }

    /// `field-name ":" OWS field-value OWS`, with a token name, no whitespace before the colon,
    /// and a value of visible characters, spaces, tabs and obs-text.
    static func parseField(_ line: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        // The name's tchars up to the colon, in one pass.
        var colon = 0
        while colon < line.count, HTTP1Field.isTokenCharacter(line[colon]) { colon += 1 }
        guard colon > 0, colon < line.count, line[colon] == UInt8(ascii: ":") else { return nil }
        var first = colon + 1
        var end = line.count
        while first < end, line[first] == 0x20 || line[first] == 0x09 { first += 1 }
        while end > first, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[first..<end])
        guard HTTP1Scan.isFieldValue(value) else { return nil }
        return (UnsafeRawBufferPointer(rebasing: line[..<colon]), value)
    }

    /// 1*DIGIT, at most 18 digits.
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

