/// Scope strings as identity providers send them: words separated by spaces (RFC 6749 §3.3,
/// RFC 7662 §2.2, RFC 8693 §4.2).
enum ScopeList {
    /// The words of `text`, split at the ASCII separator bytes given (space by default), never
    /// empty.
    ///
    /// Split as UTF-8 bytes, not `Character`s: a space followed by a combining mark is one grapheme
    /// cluster, so splitting by `Character` kept `"read \u{301}write"` whole, one scope holding a
    /// space (found by fuzzing the introspection answer).
    ///
    /// One pass over the bytes into the result: `utf8.split` built an array of slices first and
    /// asked the separator array through a generic closure per byte (2% of a fresh RS256 token's
    /// validation in perf). The separators are ASCII, so every word is valid UTF-8 as it stands.
    static func split(_ text: String, separators: [UInt8] = [UInt8(ascii: " ")]) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            // One allocation for the array: room for every word, counted first (growing it
            // word by word took three for "read write orders:read").
            var words: [String] = []
            words.reserveCapacity(1 + bytes.reduce(0) { $0 + (separators.contains($1) ? 1 : 0) })
            var start = 0
            for index in 0...bytes.count where index == bytes.count || separators.contains(bytes[index]) {
                if index > start {
                    words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                }
                start = index + 1
            }
            return words
        }
    }
}
