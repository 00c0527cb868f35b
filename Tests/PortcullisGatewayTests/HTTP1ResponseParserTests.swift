import NIOCore
import NIOHTTP1
import Testing

@testable import PortcullisGateway
@testable import PortcullisHTTP1

/// The upstream response parser: framing by length, chunks, the connection's end and the
/// bodiless cases, and a refusal (never a guess) for every response it cannot frame with
/// certainty, since a pooled connection serves one client after another.
@Suite("HTTP/1 response parser")
struct HTTP1ResponseParserTests {
    /// What a parse produced: the head, the body's bytes, whether it ended, keep-alive after it.
    struct Outcome {
        var head: HTTP1ResponseHead?
        var body = ""
        var ended = false
        var keepAlive = true
        var bodyEvents = 0
    }

    /// Feeds `response` in pieces of `step` bytes (the whole at once when `nil`), taking every event.
    static func parse(
        _ response: String,
        toHEAD: Bool = false,
        step: Int? = nil,
        connectionCloses: Bool = false
    ) throws(HTTP1ResponseParser.ParseError) -> Outcome {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toHEAD: toHEAD)
        var outcome = Outcome()
        func take(_ event: HTTP1ResponseParser.Event) {
            switch event {
            case .head(let head): outcome.head = head
            case .body(let body):
                outcome.body += String(buffer: body)
                outcome.bodyEvents += 1
            case .end: outcome.ended = true
            }
        }
        let bytes = Array(response.utf8)
        let size = step ?? max(bytes.count, 1)
        var offset = 0
        while offset < bytes.count {
            parser.append(ByteBuffer(bytes: bytes[offset..<min(offset + size, bytes.count)]))
            offset += size
            while let event = try parser.next() { take(event) }
        }
        if connectionCloses, let event = parser.endOfInput() { take(event) }
        outcome.keepAlive = parser.keepAlive
        return outcome
    }

    @Test("a content-length body, whole or a byte at a time", arguments: [nil, 1, 7])
    func contentLength(step: Int?) throws {
        let outcome = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", step: step)
        #expect(outcome.head?.status == .ok)
        #expect(outcome.head?.headers["x-a"] == ["b"])
        #expect(outcome.body == "hello")
        #expect(outcome.ended)
        #expect(outcome.keepAlive)
    }

    @Test("chunks with extensions and trailers, whole or a byte at a time", arguments: [nil, 1, 3])
    func chunked(step: Int?) throws {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        let outcome = try Self.parse(response, step: step)
        #expect(outcome.body == "hello world")
        #expect(outcome.ended)
        #expect(outcome.keepAlive)
    }

    @Test("HEAD, 204 and 304: no body whatever the length fields say")
    func bodiless() throws {
        let head = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", toHEAD: true)
        #expect(head.ended && head.body.isEmpty && head.keepAlive)
        let noContent = try Self.parse("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n")
        #expect(noContent.ended && noContent.body.isEmpty)
        let notModified = try Self.parse("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(notModified.ended && notModified.body.isEmpty)
    }

    @Test("an interim 100 is dropped; the final response follows")
    func interim() throws {
        let outcome = try Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        #expect(outcome.head?.status == .created)
        #expect(outcome.body == "ok")
    }

    @Test("no length: the body ends with the connection, which is not reused")
    func untilClose() throws {
        let open = try Self.parse("HTTP/1.1 200 OK\r\n\r\nsome bytes")
        #expect(open.body == "some bytes")
        #expect(!open.ended)
        let closed = try Self.parse("HTTP/1.1 200 OK\r\n\r\nsome bytes", connectionCloses: true)
        #expect(closed.ended)
        #expect(!closed.keepAlive)
        let gzip = try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", connectionCloses: true)
        #expect(gzip.body == "xyz" && gzip.ended && !gzip.keepAlive)
    }

    @Test("keep-alive: Connection: close and HTTP/1.0 end it; HTTP/1.0 keep-alive keeps it")
    func keepAlive() throws {
        #expect(try !Self.parse("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n").keepAlive)
        #expect(try !Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keepAlive)
        #expect(try Self.parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").head?.status == .ok)
    }

    @Test("framing lists read as bytes: the final transfer coding decides, Connection tokens in any case and spacing")
    func framingLists() throws {
        // chunked last (any case, spaces, empty elements): chunked; anything after it: until close.
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip ,, CHUNKED \r\n\r\n2\r\nok\r\n0\r\n\r\n").body == "ok")
        let notLast = try Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw")
        #expect(notLast.body == "raw" && !notLast.keepAlive)
        #expect(try !Self.parse("HTTP/1.1 200 OK\r\nConnection: upgrade,\tCLOSE\r\nContent-Length: 0\r\n\r\n").keepAlive)
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nConnection: closed, keep-alive-ish\r\nContent-Length: 0\r\n\r\n").keepAlive)
        #expect(try Self.parse("HTTP/1.0 200 OK\r\nConnection: x, Keep-Alive\r\nContent-Length: 0\r\n\r\n").keepAlive)
    }

    @Test("token characters: exactly RFC 9110's tchar, over every byte value")
    func tokenCharacters() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTP1Field.isTokenCharacter(byte) == tchar.contains(byte), "\(byte)")
        }
    }

    @Test("field values: HTAB, SP, visible characters and obs-text, every byte value at every place of a word and of the tail")
    func fieldValueBytes() throws {
        func allowed(_ byte: UInt8) -> Bool { byte == 0x09 || (byte >= 0x20 && byte != 0x7F) }
        for position in 0..<11 {
            for byte in UInt8.min...UInt8.max {
                var value = Array("abcdefgh\u{80}~ ".utf8)  // eight bytes for the word, four for the tail (U+0080 is two bytes of obs-text)
                value[position] = byte
                let accepted = value.withUnsafeBytes { HTTP1Scan.isFieldValue($0) }
                #expect(accepted == allowed(byte), "byte \(byte) at \(position)")
                if position < 8 {
                    let word = value.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    #expect(HTTP1Scan.isFieldValueWord(word) == allowed(byte), "byte \(byte) at \(position) of a word")
                }
            }
        }
        // A long value with one control character far into it, through the whole parser.
        let long = String(repeating: "v", count: 100)
        #expect(try Self.parse("HTTP/1.1 200 OK\r\nX-A: \(long)\r\nContent-Length: 0\r\n\r\n").ended)
        #expect(throws: HTTP1ResponseParser.ParseError.malformedHeaderField) {
            try Self.parse("HTTP/1.1 200 OK\r\nX-A: \(long)\u{7F}\(long)\r\nContent-Length: 0\r\n\r\n")
        }
        #expect(throws: HTTP1ResponseParser.ParseError.malformedStatusLine) { try Self.parse("HTTP/1.1 200 O\u{1}K\r\n\r\n") }
    }

    @Test("bytes after the response: it still ends, but the connection is not reused")
    func trailingBytes() throws {
        let outcome = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n")
        #expect(outcome.ended)
        #expect(outcome.body == "ok")
        #expect(!outcome.keepAlive)
    }

    @Test(
        "responses that cannot be framed with certainty are refused",
        arguments: [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1ResponseParser.ParseError.conflictingFraming),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", .invalidContentLength),
            ("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", .invalidContentLength),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", .invalidContentLength),
            ("HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n", .malformedHeaderField),
            ("HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n", .malformedHeaderField),
            ("HTTP/1.1 200 OK\r\nX-A: b\u{1}c\r\n\r\n", .malformedHeaderField),
            ("HTTP/1.1 200 OK\r\nX-A: b\nX-B: c\r\n\r\n", .malformedHeaderField),
            ("HTTP/2.0 200 OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1 20 OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1 200OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1 101 Switching Protocols\r\n\r\n", .unexpectedSwitch),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", .malformedChunk),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n", .malformedChunk),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .malformedChunk),
        ]
    )
    func refused(response: String, error: HTTP1ResponseParser.ParseError) {
        #expect(throws: error) { try Self.parse(response) }
        #expect(throws: error) { try Self.parse(response, step: 1) }
    }

    @Test("a header block over 64 KiB is refused before it is all read")
    func oversizedHead() {
        let response = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 70 * 1024)
        #expect(throws: HTTP1ResponseParser.ParseError.headerBlockTooLarge) { try Self.parse(response, step: 4096) }
    }

    @Test("a head's field lines are the bytes received, its headers made from them")
    func fieldLines() throws {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toHEAD: false)
        let fields = "X-A:  b \r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
        parser.append(ByteBuffer(string: "HTTP/1.1 404 Not Found\r\n" + fields + "\r\n2\r\nno\r\n0\r\n\r\n"))
        guard case .head(let head) = try parser.next() else { Issue.record("no head"); return }
        #expect(head.status == .notFound)
        #expect(String(buffer: head.fields.bytes) == fields)
        #expect(!head.hasContentLength)
        #expect(head.headers.map { "\($0.name)=\($0.value)" } == ["X-A=b", "Connection=close", "Transfer-Encoding=chunked"])
        #expect(head.fields.contains(name: "transfer-encoding"))
        #expect(!head.fields.contains(name: "content-length"))
        guard case .body(let body) = try parser.next() else { Issue.record("no body"); return }
        #expect(String(buffer: body) == "no")
        guard case .end = try parser.next() else { Issue.record("no end"); return }
        #expect(!parser.keepAlive)
    }

    @Test("bytes while no request is outstanding are an error")
    func unsolicited() throws {
        var parser = HTTP1ResponseParser()
        parser.append(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n"))
        #expect(throws: HTTP1ResponseParser.ParseError.unsolicitedData) { try parser.next() }
        #expect(!parser.keepAlive)
    }
}
