import ExtrasBase64
import PortcullisConfig

/// A JWT in JWS compact serialization (RFC 7515 §7.1), split and decoded but not yet verified.
struct CompactJWT: Sendable {
    /// Tokens longer than this are refused before any decoding (contract §4: 8 KiB).
    static let maximumLength = 8192

    let header: JOSEHeader
    /// The payload's members, untrusted until the signature verifies.
    let claims: [String: ClaimValue]
    /// `BASE64URL(header) "." BASE64URL(payload)`: what the signature covers.
    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]

    /// Splits and decodes `token`; every structural problem is a ``JWTValidationError/malformed(_:)``.
    init(_ token: String) throws(JWTValidationError) {
        guard token.utf8.count <= Self.maximumLength else {
            throw .malformed("is longer than \(Self.maximumLength) bytes")
        }
        let bytes = Array(token.utf8)
        var dots: [Int] = []
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: ".") {
            dots.append(index)
            if dots.count > 2 { break }
        }
        guard dots.count == 2 else {
            throw .malformed("does not have three dot-separated segments (JWE and unsecured forms are not accepted)")
        }
        let headerBytes = try Self.decode(bytes[0..<dots[0]], part: "header")
        let payloadBytes = try Self.decode(bytes[(dots[0] + 1)..<dots[1]], part: "payload")
        let signature = try Self.decode(bytes[(dots[1] + 1)...], part: "signature")
        guard !signature.isEmpty else { throw .malformed("has an empty signature") }
        let headerMembers: [String: ClaimValue]
        do {
            headerMembers = try JSONClaimsParser.parseObject(headerBytes)
        } catch {
            throw .malformed("header \(error.reason)")
        }
        self.header = try JOSEHeader(headerMembers)
        do {
            self.claims = try JSONClaimsParser.parseObject(payloadBytes)
        } catch {
            throw .malformed("payload \(error.reason)")
        }
        self.signingInput = bytes[0..<dots[1]]
        self.signature = signature
    }

    private static func decode(_ segment: ArraySlice<UInt8>, part: String) throws(JWTValidationError) -> [UInt8] {
        guard !segment.isEmpty || part == "signature" else { throw .malformed("has an empty \(part)") }
        for byte in segment {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                continue
            default:
                throw .malformed("\(part) is not base64url without padding")
            }
        }
        do {
            return try Base64.decode(bytes: segment, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        } catch {
            throw .malformed("\(part) is not base64url without padding")
        }
    }
}
