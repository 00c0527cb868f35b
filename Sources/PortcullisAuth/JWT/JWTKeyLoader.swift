#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PortcullisConfig
import PortcullisTLS
import SwiftASN1
import X509

/// Loads the fixed keys of a JWT entry (`certFile`, `publicKey`, `trustStoreConfig`, `secret`), reporting every
/// problem against the config line that named the file, as `portcullis check` shows them.
package enum JWTKeyLoader {
    /// The key of a fixed source, or `nil` after recording why not in `material`.
    package static func key(for signature: JWTSignatureConfig, material: inout TLSMaterial) async -> JWTVerificationKey? {
        let key: JWTPublicKey
        let location: ConfigLocation
        switch signature {
        case .secret(let secret):
            return try? await JWTVerificationKey.make(JWTPublicKey(secret: secret))
        case .jwks:
            return nil
        case .certFile(let path, let at):
            location = at
            guard let bytes = material.read(path, at: location) else { return nil }
            guard let loaded = Self.publicKey(pem: bytes, path: path, at: location, material: &material) else { return nil }
            if location.file != ConfigLoader.quickstartName, Self.isDevelopmentKey(String(decoding: bytes, as: UTF8.self)) {
                material.warning(location, "\(path): is the quickstart's public development key: anyone can mint tokens it accepts")
            }
            key = loaded
        case .publicKey(let pem, let at):
            location = at
            guard let loaded = Self.publicKey(pem: Array(pem.utf8), path: "publicKey", at: location, material: &material) else { return nil }
            key = loaded
        case .trustStore(let path, let password, let alias, let at):
            location = at.appending("trustStore").appending("path")
            guard let bytes = material.read(path, at: location) else { return nil }
            guard let certificate = Self.trustStoreCertificate(bytes, path: path, password: password, alias: alias, at: at, material: &material),
                Self.isCurrent(certificate, path: path, at: location, material: &material)
            else { return nil }
            do {
                key = try JWTPublicKey(certificate.publicKey)
            } catch {
                material.error(location, "\(path): \(error.description)")
                return nil
            }
        }
        do {
            return try await JWTVerificationKey.make(key)
        } catch {
            material.error(location, "\(error.description)")
            return nil
        }
    }

    /// Whether a PEM public key, or a certificate's key, is the quickstart's development key.
    package static func isDevelopmentKey(_ pem: String) -> Bool {
        guard let development = try? Certificate.PublicKey(pemEncoded: QuickstartDevelopmentKey.publicKeyPEM) else { return false }
        if pem.contains("-----BEGIN CERTIFICATE-----") {
            return (try? Certificate(pemEncoded: pem))?.publicKey == development
        }
        return (try? Certificate.PublicKey(pemEncoded: pem)) == development
    }

    /// A PEM certificate (refused when expired or not yet valid) or a PEM public key.
    private static func publicKey(pem bytes: [UInt8], path: String, at location: ConfigLocation, material: inout TLSMaterial) -> JWTPublicKey? {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            if text.contains("-----BEGIN CERTIFICATE-----") {
                let certificate = try Certificate(pemEncoded: text)
                guard Self.isCurrent(certificate, path: path, at: location, material: &material) else { return nil }
                return try JWTPublicKey(certificate.publicKey)
            }
            if text.contains("-----BEGIN PUBLIC KEY-----") {
                return try JWTPublicKey(Certificate.PublicKey(pemEncoded: text))
            }
            material.error(location, "\(path): holds no PEM certificate or public key (-----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY-----)")
        } catch let error as JWTKeyError {
            material.error(location, "\(path): \(error.description)")
        } catch {
            material.error(location, "\(path): cannot be parsed as a PEM certificate or public key")
        }
        return nil
    }

    private static func trustStoreCertificate(
        _ bytes: [UInt8],
        path: String,
        password: String,
        alias: String?,
        at location: ConfigLocation,
        material: inout TLSMaterial
    ) -> Certificate? {
        let pathLocation = location.appending("trustStore").appending("path")
        let contents: PKCS12Contents
        do {
            contents = try PKCS12Contents(bytes: bytes, password: password)
        } catch {
            material.error(pathLocation, TLSMaterial.describe(error, path: path))
            return nil
        }
        let entries = Array(zip(contents.otherCertificates, contents.otherCertificateAliases))
        let chosen: [UInt8]
        if let alias {
            guard let match = entries.first(where: { $0.1 == alias }) else {
                let known = entries.compactMap(\.1).map { "\"\($0)\"" }.joined(separator: ", ")
                material.error(
                    location.appending("certAlias"),
                    "\(path) has no certificate with alias \"\(alias)\"\(known.isEmpty ? "" : " (it has \(known))")"
                )
                return nil
            }
            chosen = match.0
        } else {
            guard entries.count == 1, let only = entries.first else {
                material.error(
                    entries.isEmpty ? pathLocation : location,
                    entries.isEmpty
                        ? "\(path): the trust store holds no certificate"
                        : "\(path) holds \(entries.count) certificates; name one with certAlias"
                )
                return nil
            }
            chosen = only.0
        }
        do {
            return try Certificate(derEncoded: chosen)
        } catch {
            material.error(pathLocation, "\(path): the certificate cannot be parsed")
            return nil
        }
    }

    private static func isCurrent(_ certificate: Certificate, path: String, at location: ConfigLocation, material: inout TLSMaterial) -> Bool {
        let now = material.now
        if certificate.notValidAfter < now {
            material.error(location, "\(path): the certificate expired on \(certificate.notValidAfter.formatted(.iso8601))")
            return false
        }
        if certificate.notValidBefore > now {
            material.error(location, "\(path): the certificate is not valid before \(certificate.notValidBefore.formatted(.iso8601))")
            return false
        }
        return true
    }
}
