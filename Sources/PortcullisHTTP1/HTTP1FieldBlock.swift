import NIOCore
import NIOHTTP1

/// The header fields of a response head as they were received: the field lines between the
/// status line and the empty line, each `name ":" OWS value OWS CRLF`, already validated by
/// ``HTTP1ResponseParser`` (token names, no whitespace before the colon, no obs-fold, no
/// control characters).
///
/// A proxy copies the lines it keeps byte for byte instead of making two strings per field and
/// writing them again: the upstream response head's strings, the `HTTPHeaders` copy that drops
/// the hop-by-hop fields and the second serialisation were ~8% of the gateway's proxy path in perf.
/// ``headers`` makes the strings for readers that need them (HTTP/2 clients, rare paths).
public struct HTTP1FieldBlock: Sendable {
    /// The field lines, CRLFs included; a slice of the bytes read (no copy).
    public let bytes: ByteBuffer

    /// No fields.
    public static let empty = HTTP1FieldBlock(bytes: ByteBuffer())

    /// `bytes` must be whole field lines as ``HTTP1ResponseParser`` validated them.
    init(bytes: ByteBuffer) {
        self.bytes = bytes
    }

    /// Calls `body` with each field's name, value (without the whitespace around it) and whole
    /// line (CRLF included), in order.
    ///
    /// Inlinable, so a caller's closure is inlined into the loop: a proxied response's fields
    /// pass here twice (``HTTP1FieldBlock`` was 2.4% of the proxy path in perf before).
    @inlinable
    public func forEachField(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ line: UnsafeRawBufferPointer) throws -> Void) rethrows {
        try self.bytes.withUnsafeReadableBytes { bytes in
            let count = bytes.count
            var start = 0
            while start < count {
                // Every line has a colon after a non-empty name and ends in CRLF: the parser checked.
                var colon = start
                while colon < count, bytes[colon] != UInt8(ascii: ":"), bytes[colon] != 0x0A { colon += 1 }
                var lf = colon
                while lf < count, bytes[lf] != 0x0A { lf += 1 }
                guard lf < count, colon < lf, lf > start else { return }
                var first = colon + 1
                var end = lf - 1
                while first < end, bytes[first] == 0x20 || bytes[first] == 0x09 { first += 1 }
                while end > first, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                try body(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<colon]),
                    UnsafeRawBufferPointer(rebasing: bytes[first..<end]),
                    UnsafeRawBufferPointer(rebasing: bytes[start...lf])
                )
                start = lf + 1
            }
        }
    }

    /// Whether a field is named `lowercase` (in any case).
    public func contains(name lowercase: StaticString) -> Bool {
        var found = false
        self.forEachField { name, _, _ in
            if !found, HTTP1Field.name(name, is: lowercase) { found = true }
        }
        return found
    }

    /// The fields as `HTTPHeaders`, in order: two strings per field.
    public var headers: HTTPHeaders {
        var fields: [(String, String)] = []
        fields.reserveCapacity(12)
        self.forEachField { name, value, _ in
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return HTTPHeaders(fields)
    }
}
