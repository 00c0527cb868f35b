import Foundation

/// A successful token endpoint answer (RFC 6749 §5.1), type-checked.
public struct TokenResponse: Sendable, Equatable {
    /// `access_token`.
    public var accessToken: String
    /// `expires_in` (seconds), a number or a numeric string; `nil` when absent.
    public var expiresIn: Double?
    /// `refresh_token`, when the server issued (or rotated) one.
    public var refreshToken: String?

    /// The largest answer read.
    public static let maximumBodySize = 64 * 1024

    public init(accessToken: String, expiresIn: Double? = nil, refreshToken: String? = nil) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
    }

    /// Reads a 2xx answer. The token type must be `Bearer` when given (RFC 6750 is what the
    /// gateway sends); the token must be a b64token, so it fits an `Authorization` header.
    public static func parse(_ body: [UInt8]) throws(ClientAuthError) -> TokenResponse {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw .invalidResponse("not a JSON object")
        }
        guard let token = object["access_token"] as? String else {
            throw .invalidResponse(object["access_token"] == nil ? "no access_token" : "access_token is not a string")
        }
        guard Self.isB64Token(token) else {
            throw .invalidResponse("access_token is not a token that fits an Authorization header")
        }
        if let type = object["token_type"] {
            guard let type = type as? String, type.lowercased() == "bearer" else {
                throw .invalidResponse("token_type is not Bearer")
            }
        }
        var response = TokenResponse(accessToken: token)
        switch object["expires_in"] {
        case nil, is NSNull:
            break
        case let number as NSNumber where !(number is Bool) && number.doubleValue.isFinite && number.doubleValue >= 0:
            response.expiresIn = number.doubleValue
        case let text as String where Double(text).map { $0.isFinite && $0 >= 0 } == true:
            response.expiresIn = Double(text)
        default:
            throw .invalidResponse("expires_in is not a number of seconds")
        }
        switch object["refresh_token"] {
        case nil, is NSNull:
            break
        case let refresh as String where !refresh.isEmpty:
            response.refreshToken = refresh
        default:
            throw .invalidResponse("refresh_token is not a string")
        }
        return response
    }

    /// An error answer (RFC 6749 §5.2): its `error` code and `error_description`, when it is one.
    /// Both are cut short and kept to printable ASCII, since they end up in logs.
    public static func error(in body: [UInt8]) -> (code: String?, description: String?) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return (nil, nil) }
        func clean(_ value: Any?) -> String? {
            guard let text = value as? String else { return nil }
            let printable = String(String.UnicodeScalarView(text.unicodeScalars.filter { (0x20...0x7E).contains($0.value) }.prefix(200)))
            return printable.isEmpty ? nil : printable
        }
        return (clean(object["error"]), clean(object["error_description"]))
    }

    /// RFC 6750 §2.1 `b64token`.
    static func isB64Token(_ token: String) -> Bool {
        var sawEquals = false
        var count = 0
        for byte in token.utf8 {
            count += 1
            if byte == UInt8(ascii: "=") {
                sawEquals = true
                continue
            }
            guard !sawEquals else { return false }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                continue
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                continue
            default:
                return false
            }
        }
        return count > 0 && count <= 16 * 1024
    }
}
