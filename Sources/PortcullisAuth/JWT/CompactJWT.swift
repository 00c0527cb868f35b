#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
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
    let signature: ArraySlice<UInt8>

    /// Splits and decodes `token`, decoding the payload members `selection` names; every structural
    /// problem is a ``JWTValidationError/malformed(_:)``.
    init(_ token: String, payload selection: JSONMemberSelection) throws(JWTValidationError) {
        try self.init(Substring(token), payload: selection)
    }

    /// Splits and decodes a token given as a slice of a header value.
    ///
    /// One allocation holds the signing input as written and the three decoded segments after it:
    /// a copy of the token and a buffer per segment were 4 of a fresh RS256 token's 35 allocations,
    /// and the generic metadata lookups of their array buffers 1.5% of its samples in perf.
    init(_ token: Substring, payload selection: JSONMemberSelection) throws(JWTValidationError) {
        guard token.utf8.count <= Self.maximumLength else {
            throw .malformed("is longer than \(Self.maximumLength) bytes")
        }
        var token = token
        let segments = try token.withUTF8 { Self.split($0) }.get()
        let headerMembers: JSONSelectedMembers
        do {
            headerMembers = try JSONClaimsParser.parseObject(segments.bytes[segments.header], selecting: JOSEHeader.members)
        } catch {
            throw .malformed("header \(error.reason)")
        }
        self.header = try JOSEHeader(headerMembers)
        do {
            self.payload = try JSONClaimsParser.parseObject(segments.bytes[segments.payload], selecting: selection)
        } catch {
            throw .malformed("payload \(error.reason)")
        }
        self.signingInput = segments.bytes[segments.signingInput]
        self.signature = segments.bytes[segments.signature]
    }

    /// The token's bytes: the signing input as written, then each segment decoded, side by side.
    private struct Segments {
        var bytes: [UInt8]
        var signingInput: Range<Int>
        var header: Range<Int>
        var payload: Range<Int>
        var signature: Range<Int>
    }

    private static func split(_ token: UnsafeBufferPointer<UInt8>) -> Result<Segments, JWTValidationError> {
        guard let first = Self.dot(in: token, from: 0), let second = Self.dot(in: token, from: first + 1),
            Self.dot(in: token, from: second + 1) == nil
        else {
            return .failure(.malformed("does not have three dot-separated segments (JWE and unsecured forms are not accepted)"))
        }
        let capacity =
            second + Base64.decodedLength(bytesCount: first) + Base64.decodedLength(bytesCount: second - first - 1)
            + Base64.decodedLength(bytesCount: token.count - second - 1)
        var ranges = (header: 0..<0, payload: 0..<0, signature: 0..<0)
        var failure: JWTValidationError?
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = buffer[0..<second].initialize(fromContentsOf: token[0..<second])
            do throws(JWTValidationError) {
                ranges.header = try Self.decode(token, 0..<first, into: buffer, at: &count, part: "header")
                ranges.payload = try Self.decode(token, (first + 1)..<second, into: buffer, at: &count, part: "payload")
                ranges.signature = try Self.decode(token, (second + 1)..<token.count, into: buffer, at: &count, part: "signature")
            } catch {
                failure = error
            }
        }
        if let failure { return .failure(failure) }
        guard !ranges.signature.isEmpty else { return .failure(.malformed("has an empty signature")) }
        return .success(Segments(bytes: bytes, signingInput: 0..<second, header: ranges.header, payload: ranges.payload, signature: ranges.signature))
    }

    /// The index of the first `.` in `token` at or after `start`.
    private static func dot(in token: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < token.count, let base = token.baseAddress,
            let found = memchr(base + start, Int32(UInt8(ascii: ".")), token.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Decodes `token[range]` into `buffer` from `count` on, moves `count` past it and returns
    /// where it went.
    private static func decode(
        _ token: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        into buffer: UnsafeMutableBufferPointer<UInt8>,
        at count: inout Int,
        part: String
    ) throws(JWTValidationError) -> Range<Int> {
        let segment = UnsafeBufferPointer(rebasing: token[range])
        guard !segment.isEmpty else {
            if part == "signature" { return count..<count }
            throw .malformed("has an empty \(part)")
        }
        // ExtrasBase64 refuses every byte outside the base64url alphabet through its decoding
        // tables, `=` included, except as padding in the last group: that is refused here (JWS
        // omits the padding, RFC 7515 §2). CompactJWTTests tries every byte value at both places.
        // A pass of our own over every byte was 2.8% of a fresh RS256 token's samples in perf.
        guard segment.last != UInt8(ascii: "="), segment.dropLast().last != UInt8(ascii: "=") else {
            throw .malformed("\(part) is not base64url without padding")
        }
        do {
            var output = UnsafeMutableBufferPointer(rebasing: buffer[count...]).mutableSpan
            let written = try Base64.decode(bytes: segment.span, into: &output, options: [.base64UrlAlphabet, .omitPaddingCharacter])
            defer { count += written }
            return count..<(count + written)
        } catch {
            throw .malformed("\(part) is not base64url without padding")
        }
    }
}
