import NIOCore

/// The RESP reader as a fuzz target (run by FuzzTesting/ under libFuzzer, replayed by the test
/// suite): arbitrary bytes never crash it, and traps mark a broken invariant.
@_spi(Fuzzing) public enum RedisFuzzTargets {
    /// Reads replies from the bytes whole, then cut in two and byte by byte: every reading gives
    /// the same replies and the same refusal. Each reply, written again, reads back as itself.
    public static func reply(_ bytes: [UInt8]) {
        var limits = RESPParser.Limits()
        limits.maximumBulkLength = 256
        limits.maximumElements = 16
        let parser = RESPParser(limits: limits)
        let whole = Self.read([bytes[...]], parser)
        let cut = bytes.count / 2
        precondition(Self.read([bytes[..<cut], bytes[cut...]], parser) == whole, "a cut changed the replies")
        // Quadratic (each byte re-reads the reply so far): short inputs only, which is where the
        // cut-dependent paths are; 512 held FuzzRESP to ~50 executions a second under load.
        if bytes.count <= 96 {
            precondition(Self.read(bytes.indices.map { bytes[$0...$0] }, parser) == whole, "reading byte by byte changed the replies")
        }
        for reply in whole.replies {
            var written = ByteBuffer()
            Self.write(reply, into: &written)
            guard let again = try? parser.next(from: &written), again == reply, written.readableBytes == 0 else {
                preconditionFailure("a reply written again does not read back as itself")
            }
        }
    }

    private struct Reading: Equatable {
        var replies: [RESPValue] = []
        var error: RESPParseError?
        var left = 0
    }

    private static func read(_ chunks: [ArraySlice<UInt8>], _ parser: RESPParser) -> Reading {
        var buffer = ByteBuffer()
        var reading = Reading()
        for chunk in chunks {
            buffer.writeBytes(chunk)
            do {
                while let reply = try parser.next(from: &buffer) {
                    reading.replies.append(reply)
                }
            } catch {
                reading.error = error
                return reading
            }
        }
        reading.left = buffer.readableBytes
        return reading
    }

    private static func write(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let text): buffer.writeString("+\(text)\r\n")
        case .error(let text): buffer.writeString("-\(text)\r\n")
        case .integer(let number): buffer.writeString(":\(number)\r\n")
        case .bulkString(nil): buffer.writeString("$-1\r\n")
        case .bulkString(let bytes?):
            buffer.writeString("$\(bytes.count)\r\n")
            buffer.writeBytes(bytes)
            buffer.writeString("\r\n")
        case .array(nil): buffer.writeString("*-1\r\n")
        case .array(let elements?):
            buffer.writeString("*\(elements.count)\r\n")
            for element in elements { Self.write(element, into: &buffer) }
        }
    }
}
