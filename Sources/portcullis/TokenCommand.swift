import ArgumentParser
@_spi(Benchmarks) import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisTLS
import NIOSSL

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `portcullis token`: mints a signed JWT with the outbound issuer code.
///
/// Without `--key` it signs with the quickstart's development key, so the quickstart's JWT entry
/// accepts the result: `curl -H "Authorization: Bearer $(portcullis token --scope hello)" ...`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a signed JWT; without --key, one the quickstart accepts.",
        discussion: """
            --key takes a PEM private key (PKCS#8, PKCS#1 or SEC 1; RSA, P-256, P-384 or Ed25519), or for \
            HS256/384/512 a file whose contents are the secret. Times are whole seconds; iat and nbf are now.
            """
    )

    @Option(name: .long, help: "The signing key file; default: the quickstart's development key.")
    var key: String?

    @Option(name: .long, help: "RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|EdDSA|HS256|HS384|HS512; default: the key's usual one.")
    var alg: JWTAlgorithmName?

    @Option(name: .long, help: "The iss claim.")
    var iss: String = QuickstartDevelopmentKey.issuer

    @Option(name: .long, help: "The sub claim.")
    var sub: String?

    @Option(name: .long, help: "The aud claim; repeat for several.")
    var aud: [String] = []

    @Option(name: .long, help: "The scope claim: scopes separated by spaces.")
    var scope: String?

    @Option(name: .long, help: "Seconds until exp (1 to 31536000).")
    var exp: Int64 = 3600

    @Option(name: .long, help: "The kid header; default with the development key: \(QuickstartDevelopmentKey.keyID).")
    var kid: String?

    @Option(name: .long, help: "The jti claim.")
    var jti: String?

    @Option(name: .long, help: ArgumentHelp("A custom claim as name=JSON; repeat for several.", discussion: "--claim 'roles=[\"admin\"]' --claim 'tenant=\"acme\"'"))
    var claim: [String] = []

    @Option(name: .long, help: "The password of an encrypted PEM key given with --key.")
    var keyPassword: String?

    /// Claims the dedicated options set; --claim may not set them.
    static let registeredClaims: Set<String> = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]

    func validate() throws {
        guard (1...31_536_000).contains(self.exp) else {
            throw ValidationError("--exp must be between 1 and 31536000 seconds")
        }
        if self.key == nil, let alg = self.alg, !JWTAlgorithmName.rsa.contains(alg) {
            throw ValidationError("the development key is RSA: --alg \(alg.rawValue) needs --key")
        }
        if self.keyPassword != nil && self.key == nil {
            throw ValidationError("--key-password needs --key")
        }
        _ = try self.customClaims()
    }

    /// The `--claim` values (and `--scope`), parsed as strict JSON.
    func customClaims() throws(ValidationError) -> [String: ClaimValue] {
        var custom: [String: ClaimValue] = [:]
        if let scope = self.scope { custom["scope"] = .string(scope) }
        for written in self.claim {
            let (name, value) = try ClaimArgument.parse(written, option: "--claim")
            guard !Self.registeredClaims.contains(name) else {
                throw ValidationError("--claim \(name): a registered claim, set by --iss, --sub, --aud, --exp or --jti (iat and nbf are now)")
            }
            guard custom[name] == nil else {
                throw ValidationError("--claim \(name): given twice (or with --scope)")
            }
            custom[name] = value
        }
        return custom
    }

    func run() async throws {
        let signingKey: JWTSigningKey
        var keyID = self.kid
        do {
            if let path = self.key {
                signingKey = try SigningKeyFile.load(path, algorithm: self.alg, password: self.keyPassword)
            } else {
                signingKey = try JWTSigningKey.development()
                keyID = keyID ?? QuickstartDevelopmentKey.keyID
            }
            let issuer = try await JWTIssuer.make(key: signingKey, algorithm: self.alg, keyID: keyID)
            let claims = JWTClaimSet(
                issuer: self.iss.isEmpty ? nil : self.iss,
                subject: self.sub,
                audience: self.aud,
                jwtID: self.jti,
                lifetimeSeconds: self.exp,
                custom: try self.customClaims()
            )
            printOutput(try issuer.sign(claims))
        } catch let error as JWTIssuerError {
            printError("error: \(error.description)")
            throw ExitStatus.invalid
        } catch let error as SigningKeyFile.ReadError {
            printError("error: \(error.description)")
            throw ExitStatus.runtime
        }
    }
}

extension JWTAlgorithmName: ExpressibleByArgument {}
