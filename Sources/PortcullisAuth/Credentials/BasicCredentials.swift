import ExtrasBase64

/// A user name and password from a Basic `Authorization` header (RFC 7617).
///
/// - Important: The description never includes the password.
public struct BasicCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The decoded `user:password` bytes, kept whole so that cache keys need no copy.
    public let decoded: [UInt8]
    /// The index of the first `:` in ``decoded``.
    private let colon: Int

    public var username: String { String(decoding: self.decoded[..<self.colon], as: UTF8.self) }
    public var password: String { String(decoding: self.decoded[(self.colon + 1)...], as: UTF8.self) }
    public var passwordBytes: ArraySlice<UInt8> { self.decoded[(self.colon + 1)...] }

    /// Decodes the token after `Basic `: standard Base64 (padding optional), UTF-8, split at the
    /// first `:`, neither side empty.
    public static func decode(_ token: Substring) -> Result<BasicCredentials, AuthFailure> {
        let decoded: [UInt8]
        do {
            decoded = try Base64.decode(bytes: token.utf8, options: .omitPaddingCharacter)
        } catch {
            return .failure(AuthFailure(.malformedCredentials, "Basic credentials are not valid Base64"))
        }
        guard Self.isValidUTF8(decoded) else {
            return .failure(AuthFailure(.malformedCredentials, "Basic credentials are not valid UTF-8"))
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon < decoded.count - 1 else {
            return .failure(AuthFailure(.malformedCredentials, "Basic credentials are not in the form user:password"))
        }
        return .success(BasicCredentials(decoded: decoded, colon: colon))
    }

    /// Validates in place where `UTF8Span` exists; `String(validating:)` allocates a String only to drop it.
    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        if #available(macOS 26, *) {
            return (try? UTF8Span(validating: bytes.span)) != nil
        }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    public init(username: String, password: String) {
        self.decoded = Array(username.utf8) + [UInt8(ascii: ":")] + Array(password.utf8)
        self.colon = username.utf8.count
    }

    private init(decoded: [UInt8], colon: Int) {
        self.decoded = decoded
        self.colon = colon
    }

    public var description: String { "BasicCredentials(username: \(self.username))" }
}
