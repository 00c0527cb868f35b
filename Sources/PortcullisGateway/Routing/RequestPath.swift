import PortcullisConfig

/// The segments of a request path, checked for tricks that would let an upstream see a
/// different path than the gateway matched.
///
/// Segments are compared as bytes (RFC 3986 §6.2.1), never as Unicode-equivalent strings: an
/// upstream sees the bytes. All scanning is on UTF-8 code units; splitting on `Character`s
/// (grapheme breaking) cost more than the rest of routing together.
struct RequestPath {
    /// The path's segments, raw (still percent-encoded), without a trailing empty segment.
    let segments: [Substring]

    enum Problem: Error {
        /// Not an origin-form path (`/...`).
        case notOriginForm
        /// A `.` or `..` segment, plain or percent-encoded, an encoded `/` or `\`, or a `%` not
        /// followed by two hex digits.
        case ambiguousSegment
    }

    /// Splits the path part of a request target (the query is ignored).
    init(target: String) throws(Problem) {
        let utf8 = target.utf8
        let end = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        guard utf8.first == UInt8(ascii: "/") else { throw .notOriginForm }
        var segments: [Substring] = []
        segments.reserveCapacity(8)
        var start = utf8.index(after: utf8.startIndex)
        while true {
            let stop = utf8[start..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
            let segment = target[start..<stop]
            if Self.isAmbiguous(segment.utf8) { throw .ambiguousSegment }
            if stop == end {
                // A trailing `/` leaves an empty last segment, which is dropped.
                if !segment.isEmpty { segments.append(segment) }
                break
            }
            segments.append(segment)
            start = utf8.index(after: stop)
        }
        self.segments = segments
    }

    private static func isAmbiguous(_ segment: Substring.UTF8View) -> Bool {
        // Decode only what matters: `%2e`/`%2E` counts as a dot, `%2f`, `%5c` and `\` are refused,
        // and so is a `%` without two hex digits after it. Lenient decoders read `%%5c` as `%` and
        // then `%5c`, a backslash, so a malformed escape would hide the one after it (found by
        // fuzzing: `/a/12%%5c41` passed).
        var dots = 0
        var others = 0
        var index = segment.startIndex
        while index != segment.endIndex {
            let byte = segment[index]
            if byte == UInt8(ascii: "\\") { return true }
            if byte == UInt8(ascii: "%") {
                let high = segment.index(after: index)
                guard high != segment.endIndex, [UInt8].hexadecimalDigit(segment[high]) != nil else { return true }
                let low = segment.index(after: high)
                guard low != segment.endIndex, [UInt8].hexadecimalDigit(segment[low]) != nil else { return true }
                switch (segment[high], segment[low] | 0x20) {
                case (UInt8(ascii: "2"), UInt8(ascii: "f")), (UInt8(ascii: "5"), UInt8(ascii: "c")): return true
                case (UInt8(ascii: "2"), UInt8(ascii: "e")): dots += 1
                default: others += 1
                }
                index = segment.index(after: low)
                continue
            }
            if byte == UInt8(ascii: ".") { dots += 1 } else { others += 1 }
            index = segment.index(after: index)
        }
        return others == 0 && (dots == 1 || dots == 2)
    }
}
