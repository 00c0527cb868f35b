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

    /// Whether two field names are equal without case (ASCII; field names are tokens).
    @inlinable
    public static func name(_ name: UnsafeRawBufferPointer, equals other: UnsafeRawBufferPointer) -> Bool {
        guard name.count == other.count else { return false }
        for index in 0..<name.count where name[index] | 0x20 != other[index] | 0x20 {
            return false
        }
        return true
    }

    /// Each element of a comma-separated field value, without the whitespace around it; empty
    /// elements between two commas are skipped (a list's empty elements carry nothing, RFC 9110 §5.6.1).
    public static func forEachListElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            let end = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.count
            if end > start {
                var first = start
                var last = end
                while first < last, value[first] == 0x20 || value[first] == 0x09 { first += 1 }
                while last > first, value[last - 1] == 0x20 || value[last - 1] == 0x09 { last -= 1 }
                body(UnsafeRawBufferPointer(rebasing: value[first..<last]))
            }
            start = end + 1
        }
    }

    /// Whether `byte` is a tchar (RFC 9110 §5.6.2): what field names and methods are made of.
    ///
    /// Two 64-bit masks over ASCII instead of a range switch: every byte of every field name of
    /// every response passes here (the response parser took 10% of `portcullis loadtest`'s CPU).
    @inlinable
    public static func isTokenCharacter(_ byte: UInt8) -> Bool {
        // Bits set for ! # $ % & ' * + - . 0-9 (0x21-0x39) and A-Z ^ _ ` a-z | ~ (0x41-0x7E).
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        if byte < 64 { return low & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return high & (1 << UInt64(byte - 64)) != 0 }
        return false
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
