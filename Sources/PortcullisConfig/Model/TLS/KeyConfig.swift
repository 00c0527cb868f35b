/// Ballerina's `key`: a certificate chain with its private key.
public enum KeyConfig: Sendable, Hashable {
    /// `{ certFile, keyFile, keyPassword }`: a PEM certificate chain and a PEM private key
    /// (PKCS#8, encrypted when `keyPassword` is given).
    case pem(certFile: String, keyFile: String, keyPassword: String?)
    /// `{ path, password }`: a PKCS#12 keystore holding the key and its chain.
    case keyStore(path: String, password: String)
}
