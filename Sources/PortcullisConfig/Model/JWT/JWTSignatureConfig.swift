/// `signatureConfig` of a JWT validator: exactly one source of verification keys.
public enum JWTSignatureConfig: Sendable, Equatable {
    /// `certFile`: a PEM certificate (refused when expired) or a PEM public key.
    case certFile(path: String, location: ConfigLocation)
    /// `publicKey`: a PEM public key or certificate written into the config itself, as Kong's
    /// `rsa_public_key` or Envoy's inline JWKS take it (not a Ballerina field).
    case publicKey(pem: String, location: ConfigLocation)
    /// `trustStoreConfig = { trustStore = { path, password }, certAlias }`: a certificate from a
    /// PKCS#12 trust store; without an alias the store must hold exactly one certificate.
    /// `location` is the `trustStoreConfig` record's.
    case trustStore(path: String, password: String, alias: String?, location: ConfigLocation)
    /// `jwksConfig`: keys fetched from a JWKS endpoint and refreshed.
    case jwks(JWKSConfig)
    /// `secret`: a shared secret for HS256/384/512.
    case secret(String)
}
