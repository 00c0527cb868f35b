/// Scope strings as identity providers send them: words separated by spaces (RFC 6749 §3.3,
/// RFC 7662 §2.2, RFC 8693 §4.2).
enum ScopeList {
    /// The words of `text`, split at the ASCII separator bytes given (space by default), never
    /// empty.
    ///
    /// Split as UTF-8 bytes, not `Character`s: a space followed by a combining mark is one grapheme
    /// cluster, so splitting by `Character` kept `"read \u{301}write"` whole, one scope holding a
    /// space (found by fuzzing the introspection answer).
    static func split(_ text: String, separators: [UInt8] = [UInt8(ascii: " ")]) -> [String] {
        text.utf8.split(whereSeparator: separators.contains).map { String(Substring($0)) }
    }
}
