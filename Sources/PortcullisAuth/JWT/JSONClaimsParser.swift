import PortcullisConfig

/// A strict, bounded JSON parser for the header and payload of a JWT, and for JWKS documents.
///
/// Written here rather than taken from Foundation for what Foundation does not offer: the result is
/// typed ``ClaimValue`` (no `Any` on the request path), nesting is bounded at ``maximumDepth`` so a
/// deeply nested payload is refused without deep recursion, a repeated member name is refused
/// (RFC 7515 §5.2 allows refusing; `JSONSerialization` silently keeps one of them, so a signed
/// token could carry two `iss` values that two parsers read differently), and a token is read for
/// the members its checks use, the others checked and skipped (``parseObject(_:selecting:)``).
/// `JWT.parse.claims` in JWTHotPath measures it against `JSONSerialization`.
@_spi(Benchmarks) public struct JSONClaimsParser {
    /// Deeper documents are refused: real tokens nest two or three levels.
    static let maximumDepth = 16

    @_spi(Benchmarks) public struct Failure: Error, Equatable {
        let reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses one JSON object; anything else (or anything after it but whitespace) is a failure.
    @_spi(Benchmarks) public static func parseObject(_ bytes: [UInt8]) throws(Failure) -> [String: ClaimValue] {
        try Self.parseWholeObject(bytes[...]) { parser throws(Failure) in try parser.object(depth: 1) }
    }

    /// Parses one JSON object, decoding only the members `selection` names (and all of them when it
    /// keeps all); the others are checked as JSON exactly as ``parseObject(_:)`` checks them and
    /// skipped. It accepts what ``parseObject(_:)`` accepts and refuses what it refuses, repeated
    /// member names at any depth included.
    @_spi(Benchmarks) public static func parseObject(_ bytes: [UInt8], selecting selection: JSONMemberSelection) throws(Failure) -> JSONSelectedMembers {
        try Self.parseObject(bytes[...], selecting: selection)
    }

    /// ``parseObject(_:selecting:)`` over part of a buffer (a JWT's decoded segments share one).
    static func parseObject(_ bytes: ArraySlice<UInt8>, selecting selection: JSONMemberSelection) throws(Failure) -> JSONSelectedMembers {
        try Self.parseWholeObject(bytes) { parser throws(Failure) in try parser.selectedMembers(selection) }
    }

    /// `bytes` as exactly one JSON object, read by `readObject`, with only whitespace around it.
    private static func parseWholeObject<Result>(
        _ bytes: ArraySlice<UInt8>,
        _ readObject: (inout JSONClaimsParser) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONClaimsParser(bytes: buffer)
            do throws(Failure) {
                parser.skipWhitespace()
                guard parser.peek() == UInt8(ascii: "{") else { throw Failure(reason: "is not a JSON object") }
                let object = try readObject(&parser)
                parser.skipWhitespace()
                guard parser.index == buffer.count else { throw Failure(reason: "has data after the JSON object") }
                return .success(object)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func peek() -> UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard self.peek() == byte else { throw Failure(reason: "is not valid JSON") }
        self.index += 1
    }

    private mutating func value(depth: Int) throws(Failure) -> ClaimValue {
        self.skipWhitespace()
        guard let byte = self.peek() else { throw Failure(reason: "ends early") }
        switch byte {
        case UInt8(ascii: "{"): return .object(try self.object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try self.array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): try self.literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.literal("null"); return .null
        default: return .number(try self.number())
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> [String: ClaimValue] {
        var members: [String: ClaimValue] = [:]
        try self.forEachMember(depth: depth) { parser, name throws(Failure) in
            let value = try parser.value(depth: depth)
            guard members.updateValue(value, forKey: parser.text(of: name)) == nil else { throw parser.repeated(name) }
        }
        return members
    }

    /// Reads one object: its `{`, then for each member the name and the colon, `readValue` for the
    /// value, and the `,` or `}` after it.
    private mutating func forEachMember(
        depth: Int,
        _ readValue: (inout JSONClaimsParser, MemberName) throws(Failure) -> Void
    ) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw Failure(reason: "nests deeper than \(Self.maximumDepth) levels") }
        try self.expect(UInt8(ascii: "{"))
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return
        }
        while true {
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: "\"") else { throw Failure(reason: "has a member name that is not a string") }
            let name = try self.memberName()
            self.skipWhitespace()
            try self.expect(UInt8(ascii: ":"))
            try readValue(&self, name)
            self.skipWhitespace()
            guard let next = self.peek() else { throw Failure(reason: "ends early") }
            self.index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Failure(reason: "is not valid JSON") }
        }
    }

    /// Reads one array: its `[`, then `readElement` for each element, and the `,` or `]` after it.
    private mutating func forEachElement(depth: Int, _ readElement: (inout JSONClaimsParser) throws(Failure) -> Void) throws(Failure) {
        guard depth <= Self.maximumDepth else { throw Failure(reason: "nests deeper than \(Self.maximumDepth) levels") }
        try self.expect(UInt8(ascii: "["))
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "]") {
            self.index += 1
            return
        }
        while true {
            try readElement(&self)
            self.skipWhitespace()
            guard let next = self.peek() else { throw Failure(reason: "ends early") }
            self.index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Failure(reason: "is not valid JSON") }
        }
    }

    /// The top-level object of ``parseObject(_:selecting:)``, at depth 1 as in ``object(depth:)``.
    private mutating func selectedMembers(_ selection: JSONMemberSelection) throws(Failure) -> JSONSelectedMembers {
        var selected = JSONSelectedMembers(values: Array(repeating: nil, count: selection.names.count), all: [:])
        var skipped = NameHashes()
        try self.forEachMember(depth: 1) { parser, name throws(Failure) in
            let slot = parser.slot(of: name, in: selection)
            guard slot != nil || selection.keepsAll else {
                guard skipped.insert(parser.hash(of: name)) else { throw parser.repeated(name) }
                try parser.skipValue(depth: 1)
                return
            }
            let value = try parser.value(depth: 1)
            if let slot {
                guard selected.values[slot] == nil else { throw parser.repeated(name) }
                selected.values[slot] = value
            }
            if selection.keepsAll {
                guard selected.all.updateValue(value, forKey: parser.text(of: name)) == nil else { throw parser.repeated(name) }
            }
        }
        return selected
    }

    /// A member name as read: the bytes between its quotes when it has no escape (already checked
    /// as UTF-8), decoded otherwise.
    private enum MemberName {
        case bytes(Range<Int>)
        case decoded(String)
    }

    private mutating func memberName() throws(Failure) -> MemberName {
        let quote = self.index
        self.index += 1
        let start = self.index
        var ascii = true
        while let byte = self.peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            ascii = ascii && byte < 0x80
            self.index += 1
        }
        if self.peek() == UInt8(ascii: "\""), ascii || Self.isValidUTF8(UnsafeBufferPointer(rebasing: self.bytes[start..<self.index])) {
            self.index += 1
            return .bytes(start..<(self.index - 1))
        }
        // An escape, a control character, invalid UTF-8 or the end: the full reader decides.
        self.index = quote
        return .decoded(try self.string())
    }

    private func slot(of name: MemberName, in selection: JSONMemberSelection) -> Int? {
        switch name {
        case .bytes(let range):
            let written = UnsafeBufferPointer(rebasing: self.bytes[range])
            // An index loop over the two buffers: `elementsEqual` went through the generic
            // sequence iterators (6.6% of JWT.parse.claims.selected in perf).
            return selection.nameBytes.firstIndex { wanted in
                wanted.count == written.count
                    && wanted.withUnsafeBufferPointer { wanted in
                        for index in 0..<written.count where wanted[index] != written[index] { return false }
                        return true
                    }
            }
        case .decoded(let text):
            return selection.index(of: text)
        }
    }

    private func text(of name: MemberName) -> String {
        switch name {
        case .bytes(let range): String(decoding: UnsafeBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
        case .decoded(let text): text
        }
    }

    /// The same for a name written plainly and for its escaped spelling (both hash their UTF-8).
    private func hash(of name: MemberName) -> Int {
        var hasher = Hasher()
        switch name {
        case .bytes(let range):
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: self.bytes[range])))
        case .decoded(var text):
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
        return hasher.finalize()
    }

    private func repeated(_ name: MemberName) -> Failure {
        Failure(reason: "repeats the member \"\(self.text(of: name).prefix(32))\"")
    }

    /// Checks one value as ``value(depth:)`` does, building nothing.
    private mutating func skipValue(depth: Int) throws(Failure) {
        self.skipWhitespace()
        guard let byte = self.peek() else { throw Failure(reason: "ends early") }
        switch byte {
        case UInt8(ascii: "{"): try self.skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try self.skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): try self.skipString()
        case UInt8(ascii: "t"): try self.literal("true")
        case UInt8(ascii: "f"): try self.literal("false")
        case UInt8(ascii: "n"): try self.literal("null")
        default:
            let number = try self.scanNumber()
            // Within 64 bytes and without an exponent, a number is always a finite Double: only
            // one with an exponent is converted to find out.
            guard self.index - number.start <= 64 else { throw Failure(reason: "has a number out of range") }
            if number.hasExponent { _ = try self.double(from: number.start) }
        }
    }

    private mutating func skipObject(depth: Int) throws(Failure) {
        var names = NameHashes()
        try self.forEachMember(depth: depth) { parser, name throws(Failure) in
            try parser.skipValue(depth: depth)
            guard names.insert(parser.hash(of: name)) else { throw parser.repeated(name) }
        }
    }

    private mutating func skipArray(depth: Int) throws(Failure) {
        try self.forEachElement(depth: depth) { parser throws(Failure) in try parser.skipValue(depth: depth) }
    }

    /// Checks one string as ``string()`` does: escapes, control characters and UTF-8. Checking
    /// the UTF-8 of each run between escapes is the same as checking the decoded whole, since an
    /// escape always decodes to whole scalars.
    private mutating func skipString() throws(Failure) {
        try self.expect(UInt8(ascii: "\""))
        var run = self.index
        var ascii = true
        while true {
            guard let byte = self.peek() else { throw Failure(reason: "has an unterminated string") }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                guard ascii || Self.isValidUTF8(UnsafeBufferPointer(rebasing: self.bytes[run..<self.index])) else {
                    throw Failure(reason: "is not valid UTF-8")
                }
                self.index += 1
                if byte == UInt8(ascii: "\"") { return }
                _ = try self.escape()
                run = self.index
                ascii = true
            case 0..<0x20:
                throw Failure(reason: "has a control character in a string")
            default:
                ascii = ascii && byte < 0x80
                self.index += 1
            }
        }
    }

    private static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> [ClaimValue] {
        // Claims arrays are short (`aud`, `scope`, roles): room for four at the first element,
        // where growing one element at a time allocated twice for two (and `[]` allocates nothing).
        var elements: [ClaimValue] = []
        try self.forEachElement(depth: depth) { parser throws(Failure) in
            if elements.isEmpty { elements.reserveCapacity(4) }
            elements.append(try parser.value(depth: depth))
        }
        return elements
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw Failure(reason: "is not valid JSON") }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { self.bytes[self.index + $0] == expected[$0] }
        }
        guard matches else { throw Failure(reason: "is not valid JSON") }
        self.index += count
    }

    private mutating func number() throws(Failure) -> Double {
        // Two statements: `self.double(from: self.scanNumber()...)` would read `self` before the scan moved it.
        let start = try self.scanNumber().start
        return try self.double(from: start)
    }

    /// Reads past one number of RFC 8259's grammar.
    private mutating func scanNumber() throws(Failure) -> (start: Int, hasExponent: Bool) {
        let start = self.index
        var hasExponent = false
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.peek(), Self.isDigit(first) else { throw Failure(reason: "is not valid JSON") }
        if first == UInt8(ascii: "0") {
            self.index += 1
        } else {
            while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard let byte = self.peek(), Self.isDigit(byte) else { throw Failure(reason: "has a malformed number") }
            while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        }
        if let byte = self.peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            hasExponent = true
            self.index += 1
            if let sign = self.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { self.index += 1 }
            guard let byte = self.peek(), Self.isDigit(byte) else { throw Failure(reason: "has a malformed number") }
            while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        }
        return (start, hasExponent)
    }

    /// The number read from `start` to the current index, refused when longer than 64 bytes or
    /// out of `Double`'s range.
    private func double(from start: Int) throws(Failure) -> Double {
        if let integer = self.smallInteger(from: start) { return integer }
        guard self.index - start <= 64,
            let value = Double(String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)),
            value.isFinite
        else {
            throw Failure(reason: "has a number out of range")
        }
        return value
    }

    /// The number from `start` to the current index when it is an integer of at most 15 digits
    /// (every such value is exact in a `Double`), read without `strtod`; timestamps such as `exp`
    /// are this shape (`strtod` and its string were 5% of JWT.parse.claims.selected in perf).
    private func smallInteger(from start: Int) -> Double? {
        var index = start
        let negative = self.bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard self.index - index <= 15 else { return nil }
        var value = 0
        while index < self.index {
            let byte = self.bytes[index]
            guard Self.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            index += 1
        }
        // Negating after the conversion keeps "-0" as -0.0, as strtod reads it.
        return negative ? -Double(value) : Double(value)
    }

    private mutating func string() throws(Failure) -> String {
        try self.expect(UInt8(ascii: "\""))
        let start = self.index
        // Fast path: no escapes, so the bytes between the quotes are the string.
        var ascii = true
        while let byte = self.peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            ascii = ascii && byte < 0x80
            self.index += 1
        }
        guard let stop = self.peek() else { throw Failure(reason: "has an unterminated string") }
        if stop == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: self.bytes[start..<self.index])
            self.index += 1
            // ASCII needs no validation; `String(validating:)` costs a generic metadata lookup per call.
            if ascii { return String(decoding: slice, as: UTF8.self) }
            guard let text = String(validating: slice, as: UTF8.self) else { throw Failure(reason: "is not valid UTF-8") }
            return text
        }
        var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]))
        while true {
            guard let byte = self.peek() else { throw Failure(reason: "has an unterminated string") }
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scalars, as: UTF8.self) else { throw Failure(reason: "is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                UTF8.encode(try self.escape()) { scalars.append($0) }
            case 0..<0x20:
                throw Failure(reason: "has a control character in a string")
            default:
                scalars.append(byte)
            }
        }
    }

    /// After a backslash: the scalar the escape stands for (a `\\u` surrogate pair read whole).
    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        guard let escaped = self.peek() else { throw Failure(reason: "has an unterminated string") }
        self.index += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(escaped)
        case UInt8(ascii: "b"): return Unicode.Scalar(UInt8(0x08))
        case UInt8(ascii: "f"): return Unicode.Scalar(UInt8(0x0C))
        case UInt8(ascii: "n"): return Unicode.Scalar(UInt8(0x0A))
        case UInt8(ascii: "r"): return Unicode.Scalar(UInt8(0x0D))
        case UInt8(ascii: "t"): return Unicode.Scalar(UInt8(0x09))
        case UInt8(ascii: "u"):
            var code = try self.hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard self.peek() == UInt8(ascii: "\\") else { throw Failure(reason: "has an unpaired surrogate") }
                self.index += 1
                try self.expect(UInt8(ascii: "u"))
                let low = try self.hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw Failure(reason: "has an unpaired surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw Failure(reason: "has an unpaired surrogate")
            }
            guard let scalar = Unicode.Scalar(code) else { throw Failure(reason: "has an invalid escape") }
            return scalar
        default:
            throw Failure(reason: "has an invalid escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw Failure(reason: "has an invalid escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            self.index += 1
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw Failure(reason: "has an invalid escape")
            }
            value = value << 4 | digit
        }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
