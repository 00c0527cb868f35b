import NIOCore

/// Header fields on the HTTP/1 wire: how a field line is written and how a field name is compared,
/// shared by the response writer, the upstream parser and the gateway's request writer.
public enum HTTP1Field {
    /// Whether `name` is `lowercase` in any case (ASCII; field names are tokens).
    @inlinable
    public static func name(_ name: String, is lowercase: StaticString) -> Bool {
        var name = name
        return name.withUTF8 { Self.name(UnsafeRawBufferPointer($0), is: lowercase) }
    }

    /// Whether the bytes `name` are `lowercase` in any case (ASCII; field names are tokens).
    @inlinable
    public static func name(_ name: UnsafeRawBufferPointer, is lowercase: StaticString) -> Bool {
        guard name.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for index in 0..<name.count where name[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }

    /// Whether `byte` is a tchar (RFC 9110 §5.6.2): what field names and methods are made of.
    @inlinable
    public static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

extension ByteBuffer {
    /// Writes the field line `name: value\r\n`.
    @inlinable
    public mutating func writeHTTPField(_ name: String, _ value: String) {
        self.writeString(name)
        self.writeStaticString(": ")
        self.writeString(value)
        self.writeStaticString("\r\n")
    }

    /// Writes the field line `name: value\r\n` of a field the writer knows at compile time.
    @inlinable
    public mutating func writeHTTPField(_ name: StaticString, _ value: StaticString) {
        self.writeStaticString(name)
        self.writeStaticString(": ")
        self.writeStaticString(value)
        self.writeStaticString("\r\n")
    }
}
