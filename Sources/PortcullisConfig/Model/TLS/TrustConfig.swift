/// Ballerina's `cert`: the certificate authorities trusted to verify a peer, and no others.
public enum TrustConfig: Sendable, Hashable {
    /// A PEM file of one or more CA certificates.
    case pem(certFile: String)
    /// `{ path, password }`: a PKCS#12 truststore.
    case trustStore(path: String, password: String)
}
