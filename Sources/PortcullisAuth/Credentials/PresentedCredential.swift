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

    private static func isB64Token(_ token: Substring) -> Bool {
        var seenPadding = false
        for byte in token.utf8 {
            switch byte {
            case UInt8(ascii: "="):
                seenPadding = true
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                if seenPadding { return false }
            default:
                return false
            }
        }
        return true
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
