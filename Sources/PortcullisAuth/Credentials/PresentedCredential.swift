/// What a request's `Authorization` header presents, parsed once per request.
public enum PresentedCredential: Sendable, Hashable {
    /// No `Authorization` header.
    case none
    case basic(BasicCredentials)
    /// A bearer token: the header value's slice after the scheme, shared rather than copied
    /// (a cache hit needs only its digest).
    case bearer(token: Substring)
    /// A header that cannot be used; `scheme` tells which entries it was meant for, if known.
    case malformed(scheme: CredentialScheme?, failure: AuthFailure)

    /// The largest `Authorization` value accepted, in bytes (contract §4: tokens up to 8 KiB).
    public static let maximumLength = 8192

    /// Parses one `Authorization` header value. The scheme is case-insensitive (RFC 7235).
    ///
    /// Works on UTF-8 code units throughout: `Character` iteration (grapheme breaking) was most of
    /// the 401 path's cost.
    public static func parse(_ value: String) -> PresentedCredential {
        var value = value
        // Offsets into the contiguous UTF-8 (a header value is a native string): iterating
        // `String.UTF8View` generically was 4% of `Auth.jwt.cacheHit` in perf.
        let (schemeEnd, restStart, scheme, isToken) = value.withUTF8 { bytes in
            let schemeEnd = bytes.firstIndex(where: Self.isWhitespace) ?? bytes.count
            let restStart = bytes[schemeEnd...].firstIndex(where: { !Self.isWhitespace($0) }) ?? bytes.count
            let scheme = Self.knownScheme(UnsafeBufferPointer(rebasing: bytes[0..<schemeEnd]))
            // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
            let isToken = scheme == .bearer && bytes.count <= Self.maximumLength && Self.isB64Token(bytes: UnsafeBufferPointer(rebasing: bytes[restStart...]))
            return (schemeEnd, restStart, scheme, isToken)
        }
        guard value.utf8.count <= Self.maximumLength else {
            return .malformed(
                scheme: scheme,
                failure: AuthFailure(.malformedCredentials, "Authorization header exceeds \(Self.maximumLength) bytes")
            )
        }
        guard schemeEnd > 0 else {
            return .malformed(scheme: nil, failure: AuthFailure(.malformedCredentials, "Authorization header has no scheme"))
        }
        let rest = value[value.utf8.index(value.utf8.startIndex, offsetBy: restStart)...]
        switch scheme {
        case .basic:
            guard !rest.isEmpty, !rest.utf8.contains(where: Self.isWhitespace) else {
                return .malformed(scheme: .basic, failure: AuthFailure(.malformedCredentials, "Basic header has no single credentials token"))
            }
            switch BasicCredentials.decode(rest) {
            case .success(let credentials): return .basic(credentials)
            case .failure(let failure): return .malformed(scheme: .basic, failure: failure)
            }
        case .bearer:
            guard isToken else {
                return .malformed(scheme: .bearer, failure: AuthFailure(.malformedCredentials, "Bearer header has no valid token"))
            }
            return .bearer(token: rest)
        default:
            return .malformed(scheme: nil, failure: AuthFailure(.malformedCredentials, "unsupported Authorization scheme"))
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func knownScheme(_ name: UnsafeBufferPointer<UInt8>) -> CredentialScheme? {
        if Self.equalsIgnoringASCIICase(name, "basic") { return .basic }
        if Self.equalsIgnoringASCIICase(name, "bearer") { return .bearer }
        return nil
    }

    /// Compares with a lower-case ASCII literal without allocating (RFC 7235: schemes are case-insensitive).
    private static func equalsIgnoringASCIICase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            for index in 0..<bytes.count {
                let byte = bytes[index]
                let folded = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
                if folded != expected[index] { return false }
            }
            return true
        }
    }

    /// Whether `bytes` is an RFC 6750 b64token.
    ///
    /// Eight bytes at a time (``allTokenBytes(_:)``), then a table lookup per byte for the rest and
    /// the padding. A `switch` over character ranges per byte mispredicts on nearly every byte of
    /// random base64url; a table lookup per byte was 11% of `Auth.jwt.cacheHit` (perf), and the
    /// eight-byte check takes 0.4x its time (a 260-byte token, 100-140 ns against 250-340 here).
    /// `SIMD16<UInt8>` compares were tried and were ten times slower than the table.
    private static func isB64Token(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var index = 0
        let raw = UnsafeRawBufferPointer(bytes)
        while index + 8 <= count, Self.allTokenBytes(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
            index += 8
        }
        return Self.b64TokenBytes.withUnsafeBufferPointer { table in
            while index < count, table[Int(bytes[index])] { index += 1 }
            // Only "=" padding may follow, up to the end, after at least one token character.
            guard index > 0 else { return false }
            while index < count, bytes[index] == UInt8(ascii: "=") { index += 1 }
            return index == count
        }
    }

    /// Whether all eight bytes of `word` are b64token characters, without a branch per byte.
    ///
    /// For a byte `x < 0x80`, `x + (0x80 - low)` has its top bit set exactly when `x >= low`, and
    /// `x + (0x7F - high)` exactly when `x > high`; neither sum carries into the next byte, since
    /// every bound lies in `0x2B...0x7E`.
    @inline(__always)
    static func allTokenBytes(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        guard word & tops == 0 else { return false }
        @inline(__always) func within(_ bytes: UInt64, _ low: UInt64, _ high: UInt64) -> UInt64 {
            (bytes &+ (0x80 - low) &* ones) & ~(bytes &+ (0x7F - high) &* ones)
        }
        // Setting 0x20 takes A-Z onto a-z and nothing else onto a-z.
        let folded = word | 0x2020_2020_2020_2020
        let accepted =
            within(folded, 0x61, 0x7A)  // A-Z, a-z
            | within(word, 0x2D, 0x39)  // - . / 0-9
            | within(word, 0x2B, 0x2B)  // +
            | within(word, 0x5F, 0x5F)  // _
            | within(word, 0x7E, 0x7E)  // ~
        return accepted & tops == tops
    }

    /// ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", indexed by byte.
    static let b64TokenBytes: [Bool] = (0...255).map { (byte: Int) -> Bool in
        switch UInt8(byte) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    /// `true` when a bearer token (valid or not) was presented, for `error="invalid_token"`.
    public var presentedBearerToken: Bool {
        switch self {
        case .bearer: true
        case .malformed(let scheme, _): scheme == .bearer
        default: false
        }
    }
}
