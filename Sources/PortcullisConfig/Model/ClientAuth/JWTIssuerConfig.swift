/// Ballerina's `JwtIssuerConfig`: the claims and key of a JWT the gateway signs for its upstream.
public struct JWTIssuerConfig: Sendable, Equatable {
    /// How the JWT is signed.
    public enum Signature: Sendable, Equatable, CustomStringConvertible {
        /// `algorithm = "NONE"` or no `signatureConfig`: an unsecured JWT (`alg` none).
        case none
        /// `config = { keyFile, keyPassword }`: a PEM private key, encrypted when `password` is set.
        case keyFile(path: String, password: String?)
        /// `config = { keyStore = { path, password }, keyAlias, keyPassword }`: a key in a PKCS#12 file.
        case keyStore(path: String, password: String, alias: String?, keyPassword: String?)
        /// `config = "<secret>"`: an HMAC secret (HS256/384/512).
        case secret(String)

        public var description: String {
            switch self {
            case .none: "unsigned"
            case .keyFile(let path, _): "key \(path)"
            case .keyStore(let path, _, let alias, _): "key \(alias.map { "\"\($0)\" in " } ?? "")\(path)"
            case .secret: "a shared secret"
            }
        }
    }

    /// `username`: the `sub` claim.
    public var subject: String?
    /// `issuer`: the `iss` claim.
    public var issuer: String?
    /// `audience`: the `aud` claim, a string when it has one value.
    public var audience: [String]
    /// `jwtId`: the `jti` claim.
    public var jwtID: String?
    /// `keyId`: the header's `kid`.
    public var keyID: String?
    /// `customClaims`: more claims; the registered ones above win over a custom claim of the same name.
    public var customClaims: [String: ClaimValue]
    /// `expTime`: the token's lifetime in seconds (Ballerina's default 300).
    public var expTimeSeconds: Double
    /// `signatureConfig.algorithm`; `nil`: the key's usual one (RS256 for RSA).
    public var algorithm: JWTAlgorithmName?
    public var signature: Signature
    /// Where `signatureConfig` was written, so key errors found when loading can name it.
    public var signatureLocation: ConfigLocation?

    public static let defaultExpTimeSeconds: Double = 300

    public init(
        subject: String? = nil,
        issuer: String? = nil,
        audience: [String] = [],
        jwtID: String? = nil,
        keyID: String? = nil,
        customClaims: [String: ClaimValue] = [:],
        expTimeSeconds: Double = Self.defaultExpTimeSeconds,
        algorithm: JWTAlgorithmName? = nil,
        signature: Signature = .none,
        signatureLocation: ConfigLocation? = nil
    ) {
        self.subject = subject
        self.issuer = issuer
        self.audience = audience
        self.jwtID = jwtID
        self.keyID = keyID
        self.customClaims = customClaims
        self.expTimeSeconds = expTimeSeconds
        self.algorithm = algorithm
        self.signature = signature
        self.signatureLocation = signatureLocation
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.subject == rhs.subject && lhs.issuer == rhs.issuer && lhs.audience == rhs.audience && lhs.jwtID == rhs.jwtID
            && lhs.keyID == rhs.keyID && lhs.customClaims == rhs.customClaims && lhs.expTimeSeconds == rhs.expTimeSeconds
            && lhs.algorithm == rhs.algorithm && lhs.signature == rhs.signature
    }
}
