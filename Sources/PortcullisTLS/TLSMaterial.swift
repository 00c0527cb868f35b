#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import NIOSSL
import PortcullisConfig

/// Reads the certificates and keys a config names, turning every problem into a diagnostic that
/// names the file, the config line and the key path. Nothing here logs or returns a password.
package struct TLSMaterial {
    /// The clock certificates are checked against.
    package let now: Date
    package private(set) var diagnostics: [ConfigDiagnostic] = []
    package private(set) var warnings: [ConfigDiagnostic] = []
    /// Every file read so far, in order, with a digest of its bytes: what a reload compares to
    /// tell whether something built from them must be built again (a rotated key, for example).
    package private(set) var filesRead: [FileFingerprint] = []

    package init(now: Date = Date()) {
        self.now = now
    }

    /// A certificate chain (leaf first) and its private key, or `nil` after recording why not.
    package mutating func identity(_ key: KeyConfig, at keyLocation: ConfigLocation) -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)? {
        switch key {
        case .pem(let certFile, let keyFile, let keyPassword):
            let chain = self.pemCertificates(certFile, at: keyLocation.appending("certFile"))
            let privateKey = self.pemPrivateKey(keyFile, password: keyPassword, at: keyLocation)
            guard let chain, let privateKey, let leaf = chain.first else { return nil }
            guard self.leafIsCurrent(leaf, file: certFile, at: keyLocation.appending("certFile")) else { return nil }
            guard self.matches(chain: chain, key: privateKey) else {
                self.error(keyLocation.appending("keyFile"), "\(keyFile): the private key does not match the certificate in \(certFile)")
                return nil
            }
            return (chain, privateKey)
        case .keyStore(let path, let password):
            let pathLocation = keyLocation.appending("path")
            guard let bytes = self.read(path, at: pathLocation) else { return nil }
            do {
                let contents = try PKCS12Contents(bytes: bytes, password: password)
                guard contents.hasKeyAndCertificate else {
                    self.error(
                        pathLocation,
                        contents.hasKey
                            ? "\(path): the keystore has no certificate that matches its private key"
                            : "\(path): the keystore has no private key (is it a truststore?)"
                    )
                    return nil
                }
                let bundle = try NIOSSLPKCS12Bundle(buffer: bytes, passphrase: Array(password.utf8))
                guard let leaf = bundle.certificateChain.first else { return nil }
                guard self.leafIsCurrent(leaf, file: path, at: pathLocation) else { return nil }
                return (bundle.certificateChain, bundle.privateKey)
            } catch let failure as PKCS12Contents.Failure {
                self.error(pathLocation, Self.describe(failure, path: path))
            } catch {
                self.error(pathLocation, "\(path): cannot be read as a PKCS#12 keystore")
            }
            return nil
        }
    }

    /// The CA certificates of a `cert` setting, or `nil` after recording why not.
    package mutating func trustRoots(_ trust: TrustConfig, at certLocation: ConfigLocation) -> [NIOSSLCertificate]? {
        let roots: [NIOSSLCertificate]
        let file: String
        switch trust {
        case .pem(let certFile):
            file = certFile
            guard let certificates = self.pemCertificates(certFile, at: certLocation) else { return nil }
            roots = certificates
        case .trustStore(let path, let password):
            file = path
            let pathLocation = certLocation.appending("path")
            guard let bytes = self.read(path, at: pathLocation) else { return nil }
            do {
                let contents = try PKCS12Contents(bytes: bytes, password: password)
                roots = try contents.otherCertificates.map { try NIOSSLCertificate(bytes: $0, format: .der) }
                guard !roots.isEmpty else {
                    self.error(pathLocation, "\(path): the truststore holds no CA certificate")
                    return nil
                }
            } catch let failure as PKCS12Contents.Failure {
                self.error(pathLocation, Self.describe(failure, path: path))
                return nil
            } catch {
                self.error(pathLocation, "\(path): a certificate in the truststore cannot be parsed")
                return nil
            }
        }
        let nowSeconds = self.nowSeconds
        for root in roots where Int(root.notValidAfter) < nowSeconds {
            self.warning(certLocation, "\(file): a CA certificate expired on \(Self.format(root.notValidAfter)); peers chaining to it are refused")
        }
        return roots
    }

    // MARK: Pieces

    private mutating func pemCertificates(_ file: String, at location: ConfigLocation) -> [NIOSSLCertificate]? {
        guard let bytes = self.read(file, at: location) else { return nil }
        let marker = Array("-----BEGIN CERTIFICATE-----".utf8)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = bytes.firstRange(of: marker) == nil ? [] : try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            self.error(location, "\(file): cannot be parsed as PEM certificates")
            return nil
        }
        guard !certificates.isEmpty else {
            self.error(location, "\(file): holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            return nil
        }
        return certificates
    }

    /// A PEM private key file, decrypted with `password` when it is encrypted, or `nil` after
    /// recording why not (at `keyLocation`'s `keyFile` or `keyPassword`).
    package mutating func pemPrivateKey(_ file: String, password: String?, at keyLocation: ConfigLocation) -> NIOSSLPrivateKey? {
        let location = keyLocation.appending("keyFile")
        guard let bytes = self.read(file, at: location) else { return nil }
        // PKCS#8 (`ENCRYPTED PRIVATE KEY`) or legacy OpenSSL encryption (`Proc-Type: 4,ENCRYPTED`).
        let encrypted = bytes.firstRange(of: Array("-----BEGIN ENCRYPTED PRIVATE KEY-----".utf8)) != nil
            || bytes.firstRange(of: Array("Proc-Type: 4,ENCRYPTED".utf8)) != nil
        if encrypted && password == nil {
            self.error(keyLocation.appending("keyPassword"), "is required: \(file) is an encrypted private key")
            return nil
        }
        do {
            if let password {
                return try NIOSSLPrivateKey(bytes: bytes, format: .pem) { provide in provide(Array(password.utf8)) }
            }
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            self.error(
                location,
                encrypted
                    ? "\(file): cannot be decrypted (wrong keyPassword?)"
                    : "\(file): cannot be parsed as a PEM private key (PKCS#8, or PKCS#1/SEC1)"
            )
            return nil
        }
    }

    private mutating func leafIsCurrent(_ leaf: NIOSSLCertificate, file: String, at location: ConfigLocation) -> Bool {
        let nowSeconds = self.nowSeconds
        if Int(leaf.notValidAfter) < nowSeconds {
            self.error(location, "\(file): the certificate expired on \(Self.format(leaf.notValidAfter))")
            return false
        }
        if Int(leaf.notValidBefore) > nowSeconds {
            self.error(location, "\(file): the certificate is not valid before \(Self.format(leaf.notValidBefore))")
            return false
        }
        return true
    }

    /// BoringSSL refuses a key that does not belong to the leaf certificate when both are put into
    /// a context, so a context built from just these two tells whether they match.
    private func matches(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> Bool {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        return (try? NIOSSLContext(configuration: configuration)) != nil
    }

    package mutating func read(_ file: String, at location: ConfigLocation) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: file) else {
            self.error(location, "\(file): cannot be read")
            return nil
        }
        guard !data.isEmpty else {
            self.error(location, "\(file): is empty")
            return nil
        }
        self.filesRead.append(FileFingerprint(path: file, digest: Array(SHA256.hash(data: data))))
        return [UInt8](data)
    }

    package static func describe(_ failure: PKCS12Contents.Failure, path: String) -> String {
        switch failure {
        case .notPKCS12: "\(path): is not a PKCS#12 file"
        case .wrongPasswordOrCorrupt: "\(path): cannot be opened: wrong password, or the file is damaged"
        }
    }

    private var nowSeconds: Int { Int(self.now.timeIntervalSince1970) }

    package static func format(_ seconds: some BinaryInteger) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    package mutating func error(_ location: ConfigLocation, _ message: String) {
        self.diagnostics.append(location.diagnostic(message))
    }

    package mutating func warning(_ location: ConfigLocation, _ message: String) {
        self.warnings.append(location.diagnostic(message))
    }
}

extension ConfigLocation {
    package func appending(_ key: String) -> ConfigLocation {
        ConfigLocation(file: self.file, line: self.line, path: self.path.appending(key))
    }
}

/// A file a component was built from, and a digest of the bytes read: two components with equal
/// configurations and equal fingerprints were built from the same material.
package struct FileFingerprint: Hashable, Sendable {
    package var path: String
    package var digest: [UInt8]
}

extension TLSMaterial {
    /// The files read since `mark` (an earlier `filesRead.count`).
    package func filesRead(since mark: Int) -> [FileFingerprint] {
        Array(self.filesRead[mark...])
    }
}
