/// Checks a TOML document for the inputs TOMLKit's parser (toml++ 3) cannot be given. Found by
/// fuzzing, each aborted the process on an assertion (release builds included: `portcullis check`
/// crashed, and so would a SIGHUP reload):
/// - a table header whose first key character is neither a bare-key character nor a quote
///   (`[~a]`: toml++'s `parse_key`);
/// - a `}` where an array expects a value (`a = [}`: `parse_value`). A closing bracket that does
///   not match the innermost open one is never valid TOML, so both mismatches are refused.
/// And a NUL character ends the text toml++ sees (it is handed over as a C string), so the rest of
/// the file would be ignored silently.
///
/// A small lexer: it follows strings (basic, literal, multi-line), comments and the nesting of
/// array and inline-table values, so that only a `[` at the start of a line at the top level — a
/// table header, as toml++ reads it — is checked.
enum TOMLPreflight {
    /// The first problem, with its 1-based line, or `nil`.
    static func problem(in source: String) -> (line: Int, message: String)? {
        let bytes = Array(source.utf8)
        var line = 1
        /// The `[` and `{` of the values open at this point, innermost last.
        var open: [UInt8] = []
        var atLineStart = true
        // toml++ skips a UTF-8 byte order mark: the line after it starts after it.
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func starts(with text: StaticString, at position: Int) -> Bool {
            let count = text.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            return text.withUTF8Buffer { Array($0) == Array(bytes[position..<(position + count)]) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0:
                return (line, "a NUL character")
            case UInt8(ascii: "\n"):
                line += 1
                atLineStart = true
                index += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") {
                    if bytes[index] == 0 { return (line, "a NUL character") }
                    index += 1
                }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let multiLine = starts(with: byte == UInt8(ascii: "\"") ? "\"\"\"" : "'''", at: index)
                index += multiLine ? 3 : 1
                while index < bytes.count {
                    let current = bytes[index]
                    if current == 0 { return (line, "a NUL character") }
                    if current == UInt8(ascii: "\n") {
                        if !multiLine { break }  // an unterminated string: toml++ reports it
                        line += 1
                    }
                    if current == UInt8(ascii: "\\") && byte == UInt8(ascii: "\"") {
                        index += 2
                        continue
                    }
                    if current == byte {
                        if !multiLine {
                            index += 1
                            break
                        }
                        if starts(with: byte == UInt8(ascii: "\"") ? "\"\"\"" : "'''", at: index) {
                            index += 3
                            // Up to two more quotes belong to the string (`""""` ends with one inside).
                            while index < bytes.count, bytes[index] == byte { index += 1 }
                            break
                        }
                    }
                    index += 1
                }
            case UInt8(ascii: "[") where open.isEmpty && atLineStart:
                // A table header: `[` or `[[`, spaces, then the first key character.
                var position = index + 1
                while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 }
                if position < bytes.count, bytes[position] == UInt8(ascii: "[") {
                    position += 1
                    while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") { position += 1 }
                }
                if position < bytes.count, !Self.mayStartHeaderKey(bytes[position]) {
                    return (line, "a table header must start with a key (letters, digits, _ or -, or a quoted key)")
                }
                // The rest of the header line holds no value: skip to its end (strings in quoted
                // keys cannot span lines).
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") {
                    if bytes[index] == 0 { return (line, "a NUL character") }
                    index += 1
                }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                open.append(byte)
                index += 1
            case UInt8(ascii: "]"):
                if open.last == UInt8(ascii: "{") { return (line, "a ']' where the inline table open before it needs a '}'") }
                _ = open.popLast()
                index += 1
            case UInt8(ascii: "}"):
                if open.last == UInt8(ascii: "[") { return (line, "a '}' where the array open before it needs a ']'") }
                _ = open.popLast()
                index += 1
            default:
                index += 1
            }
            atLineStart = false
        }
        return nil
    }

    /// What toml++ accepts as the first character of a table header's key, or the `]` it reports
    /// itself.
    private static func mayStartHeaderKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            true
        default:
            false
        }
    }
}
