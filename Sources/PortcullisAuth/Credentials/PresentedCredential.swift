/// What a request's `Authorization` header presents, parsed once per request.
public enum PresentedCredential: Sendable, Hashable {
    /// No `Authorization` header.
    case none
    case basic(BasicCredentials)
    case bearer(token: String)
    /// A header that cannot be used; `scheme` tells which entries it was meant for, if known.
    case malformed(scheme: CredentialScheme?, failure: AuthFailure)

    /// The largest `Authorization` value accepted, in bytes (contract §4: tokens up to 8 KiB).
    public static let maximumLength = 8192

    /// Parses one `Authorization` header value. The scheme is case-insensitive (RFC 7235).
    ///
    /// Works on UTF-8 code units throughout: `Character` iteration (grapheme breaking) was most of
    /// the 401 path's cost.
    public static func parse(_ value: String) -> PresentedCredential {
        let utf8 = value.utf8
        let schemeEnd = utf8.firstIndex(where: Self.isWhitespace) ?? utf8.endIndex
        let schemeName = utf8[utf8.startIndex..<schemeEnd]
        guard utf8.count <= Self.maximumLength else {
            return .malformed(
                scheme: Self.knownScheme(schemeName),
                failure: AuthFailure(.malformedCredentials, "Authorization header exceeds \(Self.maximumLength) bytes")
            )
        }
        guard !schemeName.isEmpty else {
            return .malformed(scheme: nil, failure: AuthFailure(.malformedCredentials, "Authorization header has no scheme"))
        }
        let restStart = utf8[schemeEnd...].firstIndex(where: { !Self.isWhitespace($0) }) ?? utf8.endIndex
        let rest = value[restStart...]
        switch Self.knownScheme(schemeName) {
        case .basic:
            guard !rest.isEmpty, !rest.utf8.contains(where: Self.isWhitespace) else {
                return .malformed(scheme: .basic, failure: AuthFailure(.malformedCredentials, "Basic header has no single credentials token"))
            }
            switch BasicCredentials.decode(rest) {
            case .success(let credentials): return .basic(credentials)
            case .failure(let failure): return .malformed(scheme: .basic, failure: failure)
            }
        case .bearer:
            // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
            guard !rest.isEmpty, Self.isB64Token(rest) else {
                return .malformed(scheme: .bearer, failure: AuthFailure(.malformedCredentials, "Bearer header has no valid token"))
            }
            return .bearer(token: String(rest))
        default:
            return .malformed(scheme: nil, failure: AuthFailure(.malformedCredentials, "unsupported Authorization scheme"))
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func knownScheme(_ name: Substring.UTF8View) -> CredentialScheme? {
        if Self.equalsIgnoringASCIICase(name, "basic") { return .basic }
        if Self.equalsIgnoringASCIICase(name, "bearer") { return .bearer }
        return nil
    }

    /// Compares with a lower-case ASCII literal without allocating (RFC 7235: schemes are case-insensitive).
    private static func equalsIgnoringASCIICase(_ bytes: Substring.UTF8View, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, wanted in
                let folded = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
                return folded == wanted
            }
        }
    }

    /// Whether `token` is an RFC 6750 b64token.
    ///
    /// A table lookup per byte over a contiguous buffer: a `switch` over character ranges
    /// mispredicts on nearly every byte of random base64url, and iterating `Substring.UTF8View`
    /// adds index bookkeeping; together they were 45% of `Auth.jwt.cacheHit` (perf, 800-byte
    /// token), the table is 14%. (Swift's generic `SIMD16<UInt8>` compares were tried and made the
    /// cache hit ten times slower.)
    private static func isB64Token(_ token: Substring) -> Bool {
        if let result = token.utf8.withContiguousStorageIfAvailable(Self.isB64Token(bytes:)) {
            return result
        }
        var copy = String(token)
        return copy.withUTF8(Self.isB64Token(bytes:))
    }

    private static func isB64Token(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        Self.b64TokenBytes.withUnsafeBufferPointer { table in
            var index = 0
            let count = bytes.count
            while index < count, table[Int(bytes[index])] { index += 1 }
            // Only "=" padding may follow, up to the end, after at least one token character.
            guard index > 0 else { return false }
            while index < count, bytes[index] == UInt8(ascii: "=") { index += 1 }
            return index == count
        }
    }

    /// ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", indexed by byte.
    private static let b64TokenBytes: [Bool] = (0...255).map { (byte: Int) -> Bool in
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
