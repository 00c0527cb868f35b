/// Where each key, table and array element of a TOML document is written.
///
/// TOMLKit reports line numbers for syntax errors only, so this scanner walks the (already
/// syntax-checked) source once more and records the line of every path it meets. It follows
/// the structure of TOML — table headers, arrays of tables, dotted keys, inline tables, arrays,
/// and the four kinds of strings — but never interprets values.
struct TOMLLineIndex: Sendable {
    private var lines: [ConfigPath: Int] = [:]

    init(source: String) {
        var scanner = Scanner(bytes: Array(source.utf8))
        scanner.scanDocument()
        self.lines = scanner.lines
    }

    /// The line of `path`; for a path that is not written (a missing key), the line of the
    /// nearest enclosing table that is; 1 when nothing is.
    func line(for path: ConfigPath) -> Int {
        var current: ConfigPath? = path
        while let candidate = current {
            if let line = self.lines[candidate] { return line }
            current = candidate.parent
        }
        return 1
    }

    private struct Scanner {
        let bytes: [UInt8]
        var offset = 0
        var line = 1
        var lines: [ConfigPath: Int] = [:]
        /// How many tables each array of tables has so far.
        var arrayTableCounts: [ConfigPath: Int] = [:]

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        var current: UInt8? { self.offset < self.bytes.count ? self.bytes[self.offset] : nil }

        func peek(_ distance: Int) -> UInt8? {
            let index = self.offset + distance
            return index < self.bytes.count ? self.bytes[index] : nil
        }

        mutating func advance() {
            if self.current == UInt8(ascii: "\n") { self.line += 1 }
            self.offset += 1
        }

        mutating func record(_ path: ConfigPath) {
            if self.lines[path] == nil { self.lines[path] = self.line }
        }

        mutating func skipSpaces() {
            while let byte = self.current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                self.advance()
            }
        }

        mutating func skipComment() {
            guard self.current == UInt8(ascii: "#") else { return }
            while let byte = self.current, byte != UInt8(ascii: "\n") { self.advance() }
        }

        /// Skips spaces, newlines and comments.
        mutating func skipBlank() {
            while let byte = self.current {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                    self.advance()
                case UInt8(ascii: "#"):
                    self.skipComment()
                default:
                    return
                }
            }
        }

        mutating func skipToLineEnd() {
            while let byte = self.current, byte != UInt8(ascii: "\n") { self.advance() }
        }

        mutating func scanDocument() {
            var table = ConfigPath.root
            while true {
                self.skipBlank()
                guard let byte = self.current else { return }
                if byte == UInt8(ascii: "[") {
                    let isArray = self.peek(1) == UInt8(ascii: "[")
                    self.advance()
                    if isArray { self.advance() }
                    self.skipSpaces()
                    let keys = self.scanKey()
                    table = self.resolveHeader(keys, isArray: isArray)
                    self.record(table)
                    self.skipToLineEnd()
                } else {
                    let keys = self.scanKey()
                    guard !keys.isEmpty else {
                        self.skipToLineEnd()
                        continue
                    }
                    let path = self.resolveDotted(keys, under: table)
                    self.skipSpaces()
                    if self.current == UInt8(ascii: "=") { self.advance() }
                    self.scanValue(at: path)
                    self.skipToLineEnd()
                }
            }
        }

        /// Resolves a header's keys: a key naming an array of tables refers to its last table.
        mutating func resolveHeader(_ keys: [String], isArray: Bool) -> ConfigPath {
            var path = ConfigPath.root
            for (position, key) in keys.enumerated() {
                path = path.appending(key)
                let isLast = position == keys.count - 1
                if isLast && isArray {
                    self.record(path)
                    let count = self.arrayTableCounts[path, default: 0]
                    self.arrayTableCounts[path] = count + 1
                    path = path.appending(index: count)
                } else if let count = self.arrayTableCounts[path], count > 0 {
                    path = path.appending(index: count - 1)
                }
            }
            return path
        }

        mutating func resolveDotted(_ keys: [String], under base: ConfigPath) -> ConfigPath {
            var path = base
            for key in keys {
                path = path.appending(key)
                self.record(path)
            }
            return path
        }

        /// Reads a dotted key such as `a."b.c".d`, stopping before `=`, `]` or the line end.
        mutating func scanKey() -> [String] {
            var keys: [String] = []
            while true {
                self.skipSpaces()
                guard let byte = self.current else { return keys }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    keys.append(self.scanQuotedKey(quote: byte))
                } else {
                    let start = self.offset
                    while let next = self.current, Self.isBareKeyByte(next) { self.advance() }
                    if start == self.offset { return keys }
                    keys.append(String(decoding: self.bytes[start..<self.offset], as: UTF8.self))
                }
                self.skipSpaces()
                guard self.current == UInt8(ascii: ".") else { return keys }
                self.advance()
            }
        }

        mutating func scanQuotedKey(quote: UInt8) -> String {
            self.advance()
            var key: [UInt8] = []
            while let byte = self.current, byte != quote, byte != UInt8(ascii: "\n") {
                if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\"), let escaped = self.peek(1) {
                    key.append(escaped)
                    self.advance()
                    self.advance()
                    continue
                }
                key.append(byte)
                self.advance()
            }
            if self.current == quote { self.advance() }
            return String(decoding: key, as: UTF8.self)
        }

        static func isBareKeyByte(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }

        mutating func scanValue(at path: ConfigPath) {
            self.skipSpaces()
            guard let byte = self.current else { return }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                self.scanString(quote: byte)
            case UInt8(ascii: "["):
                self.advance()
                var index = 0
                while true {
                    self.skipBlank()
                    guard let next = self.current else { return }
                    if next == UInt8(ascii: "]") {
                        self.advance()
                        return
                    }
                    if next == UInt8(ascii: ",") {
                        self.advance()
                        continue
                    }
                    let element = path.appending(index: index)
                    self.record(element)
                    let before = self.offset
                    self.scanValue(at: element)
                    if self.offset == before { self.advance() }
                    index += 1
                }
            case UInt8(ascii: "{"):
                self.advance()
                while true {
                    self.skipSpaces()
                    guard let next = self.current else { return }
                    if next == UInt8(ascii: "}") {
                        self.advance()
                        return
                    }
                    if next == UInt8(ascii: ",") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") {
                        self.advance()
                        continue
                    }
                    let keys = self.scanKey()
                    if keys.isEmpty {
                        self.advance()
                        continue
                    }
                    let keyPath = self.resolveDotted(keys, under: path)
                    self.skipSpaces()
                    if self.current == UInt8(ascii: "=") { self.advance() }
                    self.scanValue(at: keyPath)
                }
            default:
                while let next = self.current,
                    next != UInt8(ascii: ","), next != UInt8(ascii: "]"), next != UInt8(ascii: "}"),
                    next != UInt8(ascii: "\n"), next != UInt8(ascii: "#")
                {
                    self.advance()
                }
            }
        }

        mutating func scanString(quote: UInt8) {
            let isMultiline = self.peek(1) == quote && self.peek(2) == quote
            let isBasic = quote == UInt8(ascii: "\"")
            let opening = isMultiline ? 3 : 1
            for _ in 0..<opening { self.advance() }
            while let byte = self.current {
                if isBasic && byte == UInt8(ascii: "\\") {
                    self.advance()
                    self.advance()
                    continue
                }
                if byte == quote {
                    if !isMultiline {
                        self.advance()
                        return
                    }
                    if self.peek(1) == quote && self.peek(2) == quote {
                        // A multi-line string may end with up to two extra quotes.
                        while self.current == quote { self.advance() }
                        return
                    }
                }
                if !isMultiline && byte == UInt8(ascii: "\n") { return }
                self.advance()
            }
        }
    }
}
