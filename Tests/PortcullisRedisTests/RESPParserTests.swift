import NIOCore
import PortcullisRedis
import PropertyBased
import Testing

/// The RESP2 reader of the throttling store's Redis client: strict, bounded, and indifferent to
/// where TCP cut the bytes.
@Suite("RESP parser")
struct RESPParserTests {
    static let stream = "+OK\r\n-NOSCRIPT No matching script\r\n:-42\r\n$5\r\nhe\r\no\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n:1\r\n*2\r\n$1\r\nx\r\n:9223372036854775807\r\n:-9223372036854775808\r\n"
    static let replies: [RESPValue] = [
        .simpleString("OK"), .error("NOSCRIPT No matching script"), .integer(-42), .bulkString(Array("he\r\no".utf8)),
        .bulkString([]), .bulkString(nil), .array(nil), .array([]),
        .array([.integer(1), .array([.bulkString(Array("x".utf8)), .integer(.max)])]), .integer(.min),
    ]

    static func parseAll(_ chunks: [ArraySlice<UInt8>], parser: RESPParser = RESPParser()) throws(RESPParseError) -> [RESPValue] {
        var buffer = ByteBuffer()
        var replies: [RESPValue] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let reply = try parser.next(from: &buffer) {
                replies.append(reply)
            }
        }
        #expect(buffer.readableBytes == 0)
        return replies
    }

    @Test("every RESP2 type, read whole, byte by byte, and cut at every place")
    func wholeAndCut() throws {
        let bytes = Array(Self.stream.utf8)
        #expect(try Self.parseAll([bytes[...]]) == Self.replies)
        #expect(try Self.parseAll(bytes.indices.map { bytes[$0...$0] }) == Self.replies)
        for cut in bytes.indices {
            #expect(try Self.parseAll([bytes[..<cut], bytes[cut...]]) == Self.replies, "cut at \(cut)")
        }
    }

    @Test("an incomplete reply leaves the buffer untouched")
    func incomplete() throws {
        var buffer = ByteBuffer(string: "*2\r\n:1\r\n$3\r\nab")
        #expect(try RESPParser().next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 14)
    }

    @Test("what is not RESP2, or is beyond the limits, is refused with its reason")
    func refusals() {
        var limits = RESPParser.Limits()
        limits.maximumBulkLength = 8
        limits.maximumElements = 4
        limits.maximumDepth = 2
        limits.maximumLineLength = 24
        let parser = RESPParser(limits: limits)
        let cases: [(String, RESPParseError)] = [
            ("?x\r\n", .unknownType(UInt8(ascii: "?"))),
            ("%1\r\n", .unknownType(UInt8(ascii: "%"))),  // RESP3's map, never asked for
            (":12a\r\n", .invalidNumber),
            (":\r\n", .invalidNumber),
            (":9223372036854775808\r\n", .invalidNumber),
            (":+1\r\n", .invalidNumber),
            ("$-2\r\n", .invalidNumber),
            ("$3\r\nabcd\r\n", .missingCRLF),
            ("+ok\nx", .missingCRLF),
            ("+ok\rx", .missingCRLF),
            ("$9\r\n", .tooLarge),
            ("*5\r\n", .tooLarge),
            ("*1\r\n*1\r\n*1\r\n:1\r\n", .tooLarge),
            ("+" + String(repeating: "a", count: 25), .tooLarge),
            ("+\u{FF}\r\n", .invalidText),
        ]
        for (text, expected) in cases {
            var buffer = ByteBuffer(bytes: text == "+\u{FF}\r\n" ? [UInt8(ascii: "+"), 0xFF, 13, 10] : Array(text.utf8))
            #expect(throws: expected, "\(text.debugDescription)") { try parser.next(from: &buffer) }
        }
    }

    /// A command's encoding read back as a reply: an array of the same bulk strings.
    @Test("property: a command's wire form reads back as the array of its arguments, whatever the cut")
    func commandRoundTrip() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...40).array(of: 0...6), Gen.int(in: 0...400)) { arguments, cut in
            var encoded = ByteBuffer()
            RESPCommand(arguments).write(into: &encoded)
            let bytes = Array(encoded.readableBytesView)
            let split = min(cut, bytes.count)
            let replies = try? Self.parseAll([bytes[..<split], bytes[split...]])
            #expect(replies == [.array(arguments.map { .bulkString($0) })])
        }
    }
}
