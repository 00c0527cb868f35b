/// A password as the file user store keeps it.
///
/// - Important: The description never includes the stored value.
public enum StoredPassword: Sendable, Equatable, CustomStringConvertible {
    /// A bcrypt hash (`$2a$`, `$2b$` or `$2y$`), validated to have a cost in 4...31.
    case bcrypt(String)
    /// `@sha256:{hex}`: the SHA-256 digest of the UTF-8 password.
    case sha256([UInt8])
    /// `@sha512:{hex}`: the SHA-512 digest of the UTF-8 password.
    case sha512([UInt8])
    /// Plain text, accepted for Ballerina compatibility with a warning at start.
    case plain(String)

    /// Parses the stored form, or returns why it is not valid.
    public static func parse(_ text: String) -> Result<StoredPassword, ConfigValueError> {
        if text.hasPrefix("$2") {
            return Self.parseBcrypt(text)
        }
        if let hex = text.dropPrefix("@sha256:") {
            return Self.parseDigest(hex, byteCount: 32, name: "@sha256").map { .sha256($0) }
        }
        if let hex = text.dropPrefix("@sha512:") {
            return Self.parseDigest(hex, byteCount: 64, name: "@sha512").map { .sha512($0) }
        }
        if text.hasPrefix("@sha") || text.hasPrefix("@encrypted:") {
            return .failure(ConfigValueError(Self.acceptedForms))
        }
        if text.isEmpty {
            return .failure(ConfigValueError("password must not be empty"))
        }
        return .success(.plain(text))
    }

    private static func parseBcrypt(_ text: String) -> Result<StoredPassword, ConfigValueError> {
        // $2b$12$ + 22 characters of salt + 31 characters of hash.
        let bytes = Array(text.utf8)
        guard bytes.count == 60,
            bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)),
            bytes[7...].allSatisfy(Self.isBcryptBase64)
        else {
            return .failure(ConfigValueError("not a valid bcrypt hash (expected $2a$, $2b$ or $2y$, a two-digit cost and 53 characters)"))
        }
        guard (4...31).contains(cost) else {
            return .failure(ConfigValueError("bcrypt cost \(cost) is outside 4...31"))
        }
        return .success(.bcrypt(text))
    }

    private static func isBcryptBase64(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
    }

    /// What the error of an unusable stored form says is accepted.
    static let acceptedForms =
        "unsupported password format; accepted: a bcrypt hash ($2a$, $2b$ or $2y$), @sha256:HEX or @sha512:HEX (the digest "
        + "of the password in hexadecimal, with or without braces: @sha256:{HEX}), or plain text"

    private static func parseDigest(_ written: Substring, byteCount: Int, name: String) -> Result<[UInt8], ConfigValueError> {
        // Ballerina's documentation writes the digest in braces (`@sha256:{…}`); both forms are accepted.
        var hex = written
        if hex.first == "{" && hex.last == "}" && hex.count >= 2 {
            hex = hex.dropFirst().dropLast()
        }
        guard hex.utf8.count == byteCount * 2, let digest = [UInt8](hexadecimal: hex) else {
            return .failure(
                ConfigValueError("\(name) needs exactly \(byteCount * 2) hexadecimal digits, as \(name):HEX or \(name):{HEX}")
            )
        }
        return .success(digest)
    }

    public var description: String {
        switch self {
        case .bcrypt: "bcrypt(…)"
        case .sha256: "sha256(…)"
        case .sha512: "sha512(…)"
        case .plain: "plain(…)"
        }
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> Substring? {
        self.hasPrefix(prefix) ? self.dropFirst(prefix.count) : nil
    }
}

extension [UInt8] {
    /// Decodes an even number of hexadecimal digits, either case.
    init?(hexadecimal text: Substring) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for character in text.utf8 {
            guard let nibble = Self.hexadecimalDigit(character) else { return nil }
            if let value = high {
                bytes.append(value << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard high == nil else { return nil }
        self = bytes
    }

    /// The value of one hexadecimal digit (either case), or `nil`.
    public static func hexadecimalDigit(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Sequence<UInt8> {
    /// The bytes as lowercase hexadecimal digits (digests in config values, hashes in logs).
    package var lowercaseHexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
