import ExtrasBase64
import PortcullisConfig

/// A JWT in JWS compact serialization (RFC 7515 §7.1), split and decoded but not yet verified.
struct CompactJWT: Sendable {
    /// Tokens longer than this are refused before any decoding (contract §4: 8 KiB).
    static let maximumLength = 8192

    let header: JOSEHeader
    /// The payload's members a check reads (see ``JSONMemberSelection``), untrusted until the
    /// signature verifies; the others were checked as JSON and skipped.
    let payload: JSONSelectedMembers
    /// `BASE64URL(header) "." BASE64URL(payload)`: what the signature covers.
    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]

    /// Splits and decodes `token`, decoding the payload members `selection` names; every structural
    /// problem is a ``JWTValidationError/malformed(_:)``.
    init(_ token: String, payload selection: JSONMemberSelection) throws(JWTValidationError) {
        try self.init(Substring(token), payload: selection)
    }

    /// Splits and decodes a token given as a slice of a header value.
    init(_ token: Substring, payload selection: JSONMemberSelection) throws(JWTValidationError) {
        guard token.utf8.count <= Self.maximumLength else {
            throw .malformed("is longer than \(Self.maximumLength) bytes")
        }
        let bytes = Array(token.utf8)
        let dot = UInt8(ascii: ".")
        guard let first = bytes.firstIndex(of: dot), let second = bytes[(first + 1)...].firstIndex(of: dot),
            !bytes[(second + 1)...].contains(dot)
        else {
            throw .malformed("does not have three dot-separated segments (JWE and unsecured forms are not accepted)")
        }
        let headerBytes = try Self.decode(bytes[0..<first], part: "header")
        let payloadBytes = try Self.decode(bytes[(first + 1)..<second], part: "payload")
        let signature = try Self.decode(bytes[(second + 1)...], part: "signature")
        guard !signature.isEmpty else { throw .malformed("has an empty signature") }
        let headerMembers: JSONSelectedMembers
        do {
            headerMembers = try JSONClaimsParser.parseObject(headerBytes, selecting: JOSEHeader.members)
        } catch {
            throw .malformed("header \(error.reason)")
        }
        self.header = try JOSEHeader(headerMembers)
        do {
            self.payload = try JSONClaimsParser.parseObject(payloadBytes, selecting: selection)
        } catch {
            throw .malformed("payload \(error.reason)")
        }
        self.signingInput = bytes[0..<second]
        self.signature = signature
    }

    private static func decode(_ segment: ArraySlice<UInt8>, part: String) throws(JWTValidationError) -> [UInt8] {
        guard !segment.isEmpty || part == "signature" else { throw .malformed("has an empty \(part)") }
        // ExtrasBase64 refuses every byte outside the base64url alphabet through its decoding
        // tables, `=` included, except as padding in the last group: that is refused here (JWS
        // omits the padding, RFC 7515 §2). CompactJWTTests tries every byte value at both places.
        // A pass of our own over every byte was 2.8% of a fresh RS256 token's samples in perf.
        guard segment.last != UInt8(ascii: "="), segment.dropLast().last != UInt8(ascii: "=") else {
            throw .malformed("\(part) is not base64url without padding")
        }
        do {
            return try Base64.decode(bytes: segment, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        } catch {
            throw .malformed("\(part) is not base64url without padding")
        }
    }
}
