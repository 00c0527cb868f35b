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

/// A JWT signing key read from a file named on the command line (`token --key`, `loadtest
/// --jwt-key`): a PEM private key (PKCS#8, PKCS#1 or SEC 1; encrypted ones with a password),
/// or for HS256/384/512 a file whose contents are the secret.
enum SigningKeyFile {
    /// The file cannot be read.
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// The key in `path` for `algorithm` (HMAC algorithms take the file as the secret).
    ///
    /// - Throws: ``ReadError`` when the file cannot be read, `JWTIssuerError` when it holds no
    ///   usable key.
    static func load(_ path: String, algorithm: JWTAlgorithmName?, password: String?) throws -> JWTSigningKey {
        let contents = try Self.read(path)
        if let algorithm, JWTAlgorithmName.hmac.contains(algorithm) {
            // HMAC keyed with a PEM key is the key-confusion pattern of RFC 8725 §2.1.
            guard !contents.contains("-----BEGIN") else {
                throw JWTIssuerError("\(path): is a PEM key or certificate; \(algorithm.rawValue) needs a shared secret")
            }
            return try JWTSigningKey(secret: Self.trimmingOneNewline(contents))
        }
        return try Self.signingKey(pem: contents, path: path, password: password)
    }

    /// A PEM private key; an encrypted one is decrypted with `password` by the same loader the
    /// gateway's outbound credentials use (BoringSSL, through the TLS material loader).
    private static func signingKey(pem: String, path: String, password: String?) throws(JWTIssuerError) -> JWTSigningKey {
        guard pem.contains("ENCRYPTED") else {
            do {
                return try JWTSigningKey(pem: pem)
            } catch {
                throw JWTIssuerError("\(path): \(error.description)")
            }
        }
        guard let password else {
            throw JWTIssuerError("\(path): the key is encrypted; give its password with --key-password")
        }
        var material = TLSMaterial()
        guard let key = material.pemPrivateKey(path, password: password, at: ConfigLocation.unknown(["key"])) else {
            throw JWTIssuerError(material.diagnostics.first?.message ?? "\(path): cannot be decrypted")
        }
        guard let der = try? key.derBytes else {
            throw JWTIssuerError("\(path): an encrypted key of this type cannot be read here; decrypt it (openssl pkey) or use an RSA or EC key")
        }
        do throws(JWTIssuerError) {
            return try JWTSigningKey(der: der)
        } catch {
            throw JWTIssuerError("\(path): \(error.description)")
        }
    }

    private static func read(_ path: String) throws(ReadError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReadError(description: "\(path): cannot be read")
        }
        guard data.count <= 1 << 20 else { throw ReadError(description: "\(path): larger than 1 MiB; not a key") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A secret file's contents without the one line ending an editor adds.
    private static func trimmingOneNewline(_ text: String) -> String {
        // "\r\n" is one Character, so it is removed as one.
        var text = text
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// A claim written on the command line as `name=JSON` (`token --claim`, `loadtest --jwt-claim`).
enum ClaimArgument {
    /// The name and the strict-JSON value of `written`; `option` names the option in errors.
    static func parse(_ written: String, option: String) throws(ValidationError) -> (String, ClaimValue) {
        guard let equals = written.firstIndex(of: "="), equals != written.startIndex else {
            throw ValidationError("\(option) \(written): write name=JSON, e.g. 'roles=[\"admin\"]' or 'tenant=\"acme\"'")
        }
        let name = String(written[..<equals])
        let json = "{\"v\":" + written[written.index(after: equals)...] + "}"
        guard let value = (try? JSONClaimsParser.parseObject(Array(json.utf8)))?["v"] else {
            throw ValidationError("\(option) \(name): the value is not JSON (a string needs its quotes: \(name)='\"text\"')")
        }
        return (name, value)
    }
}
