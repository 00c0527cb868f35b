#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Byte scans of the HTTP/1 response parser that run over every byte of every head.
///
/// Line ends are found with `memchr` (vectorised by the C library) rather than a Swift loop per
/// byte, and field values are checked eight bytes at a time: the byte loops of the head scan,
/// status line and field check were ~7% of `portcullis loadtest`'s CPU in perf.
enum HTTP1Scan {
    /// The index of the first LF at or after `start`, or `nil`.
    @inline(__always)
    static func lineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether `bytes` may form a field value: HTAB, SP, visible characters and obs-text
    /// (RFC 9110 §5.5), so no control character other than HTAB and no DEL.
    static func isFieldValue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            guard Self.isFieldValueWord(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) else { return false }
            index += 8
        }
        while index < count {
            let byte = bytes[index]
            guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { return false }
            index += 1
        }
        return true
    }

    /// ``isFieldValue(_:)`` for eight bytes at once.
    ///
    /// With `x` a byte's low seven bits, `x + c` never carries into the next byte for the
    /// constants used (the sums stay below 0x100), so each byte's top bit answers for that byte
    /// alone: below 0x20, equal to 0x09, equal to 0x7F. Bytes with their top bit set (obs-text)
    /// are always accepted.
    @inline(__always)
    static func isFieldValueWord(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        let ascii = ~word & tops  // the bytes below 0x80, as their top bits
        let low = word & ~tops
        let below20 = ~(low &+ 0x60 &* ones) & ascii
        let tab = (low &+ (0x80 - 0x09) &* ones) & ~(low &+ (0x7F - 0x09) &* ones) & ascii
        let delete = (low &+ ones) & ascii
        return (below20 & ~tab) | delete == 0
    }
}
