import PortcullisConfig

/// The members of a JWS header (RFC 7515 §4.1) that verification looks at.
///
/// Keys named by the header itself (`jwk`, `jku`, `x5u`, `x5c`) are never used: the configured
/// key source decides (RFC 8725 §3.1).
struct JOSEHeader: Sendable, Equatable {
    /// `alg` exactly as written; checked against the key, never trusted on its own.
    var algorithm: String
    /// `kid`, which picks a key from a JWKS.
    var keyID: String?

    init(algorithm: String, keyID: String? = nil) {
        self.algorithm = algorithm
        self.keyID = keyID
    }

    /// The members read from a header; any other is checked as JSON and ignored.
    static let members = JSONMemberSelection(["alg", "kid", "crit"])

    /// Reads a decoded header (its ``members``), refusing what RFC 7515 and RFC 8725 say must be
    /// refused.
    init(_ members: JSONSelectedMembers) throws(JWTValidationError) {
        guard case .string(let algorithm)? = members[0] else {
            throw .malformed("header has no alg string")
        }
        self.algorithm = algorithm
        switch members[1] {
        case .none: self.keyID = nil
        case .string(let kid)?: self.keyID = kid
        default: throw .malformed("header kid is not a string")
        }
        // RFC 7515 §4.1.11: extensions listed in crit must be understood; Portcullis understands none.
        if members[2] != nil {
            throw .malformed("header lists critical extensions (crit) that are not supported")
        }
    }
}
