import AsyncHTTPClient
import Logging
import NIOSSL
import PortcullisConfig
import PortcullisMetrics
import PortcullisTLS

/// Builds the ``OutboundCredential`` of a client-auth record.
public enum OutboundCredentials {
    /// The credential for `config`, reading any signing key it names. Key problems are recorded in
    /// `material` (file, line, key path) and give `nil`; nothing is fetched from a token endpoint.
    ///
    /// - Parameters:
    ///   - config: the client-auth record.
    ///   - client: calls token endpoints (OAuth2 grants); its TLS settings must be the record's `clientConfig`.
    ///   - material: where key-file problems are recorded.
    ///   - metrics: `kind="token"` series.
    ///   - onRenewal: told the outcome of each token request.
    ///   - logger: for failed token requests.
    ///   - now: the monotonic clock token lifetimes are measured on.
    package static func make(
        _ config: ClientAuthConfig,
        client: @autoclosure () -> HTTPClient,
        material: inout TLSMaterial,
        metrics: PortcullisMetrics?,
        onRenewal: @escaping @Sendable (Bool) -> Void = { _ in },
        logger: Logger,
        now: @escaping @Sendable () -> Double = TokenCache.monotonicSeconds
    ) async -> (any OutboundCredential)? {
        switch config {
        case .basic(let username, let password):
            return StaticCredential.basic(username: username, password: password)
        case .bearer(let token):
            return StaticCredential.bearer(token)
        case .oauth2(let grant):
            return OAuth2TokenManager(config: grant, client: client(), metrics: metrics, onRenewal: onRenewal, logger: logger, now: now)
        case .selfSignedJWT(let issuerConfig):
            switch await Self.signer(issuerConfig, material: &material) {
            case .unsecured: return SelfSignedJWTCredential(config: issuerConfig, issuer: nil)
            case .signed(let issuer): return SelfSignedJWTCredential(config: issuerConfig, issuer: issuer)
            case .unusable: return nil
            }
        }
    }

    private enum Signer {
        case unsecured
        case signed(JWTIssuer)
        /// The key cannot be used; `material` says why.
        case unusable
    }

    /// Where a keystore's failure is reported (a key of `config`) and what it says.
    private static func describe(_ failure: PKCS12KeyStore.Failure, path: String, keyPasswordGiven: Bool) -> (key: String, message: String) {
        func names(_ aliases: [String]) -> String {
            aliases.map { "\"\($0)\"" }.joined(separator: ", ")
        }
        switch failure {
        case .notPKCS12:
            return ("keyStore", "\(path): cannot be read as a PKCS#12 keystore")
        case .wrongPasswordOrCorrupt:
            return ("keyStore", "\(path): the keystore's integrity check failed: wrong keyStore.password, or a damaged file")
        case .unsupportedMAC:
            return ("keyStore", "\(path): the keystore's integrity check is not HMAC with SHA-1 or SHA-2, which is what can be read here")
        case .noKey:
            return ("keyStore", "\(path): the keystore has no private key (is it a truststore?)")
        case .noSuchAlias(let alias, let present):
            return ("keyAlias", "no key \"\(alias)\" in \(path); its keys: \(names(present))")
        case .severalKeys(let present):
            return ("keyStore", "\(path) holds \(present.count) keys (\(names(present))): name one with keyAlias")
        case .cannotDecryptKey:
            let (key, setting) = keyPasswordGiven ? ("keyPassword", "keyPassword") : ("keyStore", "keyStore.password")
            return (key, "\(path): the key cannot be decrypted with \(setting) (or uses a cipher that cannot be read here)")
        }
    }

    /// The signer of a self-signed JWT config.
    private static func signer(_ config: JWTIssuerConfig, material: inout TLSMaterial) async -> Signer {
        let location = config.signatureLocation ?? ConfigLocation.unknown(["signatureConfig"])
        let configLocation = location.appending("config")
        let key: JWTSigningKey
        let keyLocation: ConfigLocation
        switch config.signature {
        case .none:
            return .unsecured
        case .secret(let secret):
            keyLocation = configLocation
            do throws(JWTIssuerError) {
                key = try JWTSigningKey(secret: secret)
            } catch {
                material.error(configLocation, error.description)
                return .unusable
            }
        case .keyFile(let path, let password):
            keyLocation = configLocation.appending("keyFile")
            guard let bytes = material.read(path, at: keyLocation) else { return .unusable }
            let pem = String(decoding: bytes, as: UTF8.self)
            do throws(JWTIssuerError) {
                if pem.contains("ENCRYPTED") {
                    // Decrypted by BoringSSL (through the TLS loader), then handed over as DER.
                    guard let privateKey = material.pemPrivateKey(path, password: password, at: configLocation) else { return .unusable }
                    guard let der = try? privateKey.derBytes else {
                        throw JWTIssuerError("an encrypted key of this type cannot be read here; decrypt it (openssl pkey) or use an RSA or EC key")
                    }
                    key = try JWTSigningKey(der: der)
                } else {
                    key = try JWTSigningKey(pem: pem)
                }
            } catch {
                material.error(keyLocation, "\(path): \(error.description)")
                return .unusable
            }
        case .keyStore(let path, let password, let alias, let keyPassword):
            keyLocation = configLocation.appending("keyStore").appending("path")
            guard let bytes = material.read(path, at: keyLocation) else { return .unusable }
            let der: [UInt8]
            do throws(PKCS12KeyStore.Failure) {
                // The key picked by its alias among the store's keys (Ballerina's keyAlias), and
                // decrypted with its own password when it has one.
                der = try PKCS12KeyStore(bytes: bytes, password: password).privateKey(alias: alias, password: keyPassword ?? password)
            } catch {
                let (at, message) = Self.describe(error, path: path, keyPasswordGiven: keyPassword != nil)
                material.error(configLocation.appending(at), message)
                return .unusable
            }
            do throws(JWTIssuerError) {
                key = try JWTSigningKey(der: der)
            } catch {
                material.error(keyLocation, "\(path): \(error.description)")
                return .unusable
            }
        }
        do throws(JWTIssuerError) {
            return .signed(try await JWTIssuer.make(key: key, algorithm: config.algorithm, keyID: config.keyID))
        } catch {
            material.error(location.appending("algorithm"), error.description)
            return .unusable
        }
    }
}
