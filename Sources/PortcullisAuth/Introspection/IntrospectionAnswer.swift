import PortcullisConfig

/// What an introspection endpoint said about one token (RFC 7662 §2.2), with every member the
/// gateway uses checked for its type.
///
/// A member of the wrong type makes the whole answer unusable (the token is then treated as not
/// authenticated); nothing is guessed or coerced beyond what Ballerina accepts (`exp` as a numeric
/// string).
public struct IntrospectionAnswer: Sendable, Equatable {
    /// `active`; absent means `false`.
    public var active: Bool
    /// The scopes under the configured scope key: a space-separated string or an array of strings.
    public var scopes: [String]
    /// `exp`, seconds since the epoch.
    public var expiresAt: Double?
    /// `sub`, else `username`, else `client_id`; empty when the answer names nobody.
    public var subject: String
    /// Every other member of the answer, for the principal's claims.
    public var claims: [String: ClaimValue]

    /// Why an answer cannot be used.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The body is not a JSON object.
        case notJSON(String)
        /// A member has a type RFC 7662 does not allow.
        case wrongType(member: String, expected: String)

        public var description: String {
            switch self {
            case .notJSON(let reason): "the answer is not a JSON object: \(reason)"
            case .wrongType(let member, let expected): "the answer's \"\(member)\" is not \(expected)"
            }
        }
    }

    /// The largest answer read; RFC 7662 answers are a few hundred bytes.
    public static let maximumBodySize = 64 * 1024

    public static func parse(_ body: [UInt8], scopeKey: String) throws(Failure) -> IntrospectionAnswer {
        let object: [String: ClaimValue]
        do {
            object = try JSONClaimsParser.parseObject(body)
        } catch {
            throw .notJSON("\(error)")
        }
        var answer = IntrospectionAnswer(active: false, scopes: [], expiresAt: nil, subject: "", claims: [:])
        switch object["active"] {
        case .bool(let active)?: answer.active = active
        case nil: answer.active = false
        default: throw .wrongType(member: "active", expected: "a boolean")
        }
        guard answer.active else { return answer }
        switch object[scopeKey] {
        case nil, .null?:
            break
        case .string(let scope)?:
            answer.scopes = ScopeList.split(scope, separators: [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n")])
        case .array(let elements)?:
            for element in elements {
                guard case .string(let scope) = element else {
                    throw .wrongType(member: scopeKey, expected: "a string or an array of strings")
                }
                // An empty element names no scope (as an empty word of the string form does);
                // found by fuzzing: `"scope": [""]` gave a principal the scope "".
                if !scope.isEmpty { answer.scopes.append(scope) }
            }
        default:
            throw .wrongType(member: scopeKey, expected: "a string or an array of strings")
        }
        switch object["exp"] {
        case nil, .null?:
            break
        case .number(let exp)? where exp.isFinite:
            answer.expiresAt = exp
        case .string(let text)?:
            guard let exp = Double(text), exp.isFinite else { throw .wrongType(member: "exp", expected: "a number") }
            answer.expiresAt = exp
        default:
            throw .wrongType(member: "exp", expected: "a number")
        }
        var names: [String: String] = [:]
        for member in ["sub", "username", "client_id"] {
            switch object[member] {
            case nil, .null?: continue
            case .string(let value)?: names[member] = value
            default: throw .wrongType(member: member, expected: "a string")
            }
        }
        answer.subject = names["sub"] ?? names["username"] ?? names["client_id"] ?? ""
        var claims = object
        claims.removeValue(forKey: "active")
        claims.removeValue(forKey: scopeKey)
        answer.claims = claims
        return answer
    }
}
