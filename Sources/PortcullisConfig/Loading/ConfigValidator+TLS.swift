#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The TLS records: `listener.secureSocket`, its `key` and `mutualSsl`.
///
/// Only the shape and the files' presence are checked here; certificates and keys are parsed
/// where they are used, and their errors are reported against the same file and line.
extension ConfigValidator {
    mutating func listenerSecureSocket(_ fields: Fields, at path: ConfigPath) -> ListenerSecureSocketConfig? {
        self.checkKeys(fields, at: path, allowed: ["key", "mutualSsl", "protocol", "ciphers"])
        // Every part is checked even when an earlier one failed, so one run reports every problem.
        let keyPath = path.appending("key")
        var key: KeyConfig?
        if fields["key"] == nil {
            self.error(path, "needs key: { certFile, keyFile } or { path, password }")
        } else if let keyFields = self.table(fields, "key", at: path) {
            key = self.keyConfig(keyFields, at: keyPath)
        }
        let mutualSsl = self.table(fields, "mutualSsl", at: path).flatMap { self.mutualSsl($0, at: path.appending("mutualSsl")) }
        let versions = self.table(fields, "protocol", at: path).flatMap { self.tlsVersions($0, at: path.appending("protocol")) }
        var ciphers: [String]?
        if let names = self.stringArray(fields, "ciphers", at: path) {
            if names.isEmpty || names.contains(where: { $0.isEmpty || $0.contains(":") || $0.contains(" ") }) {
                self.error(path.appending("ciphers"), "must be a non-empty array of cipher-suite names")
            } else {
                ciphers = names
            }
        }
        guard let key else { return nil }
        return ListenerSecureSocketConfig(
            key: key,
            mutualSsl: mutualSsl,
            versions: versions ?? TLSVersion.allCases,
            ciphers: ciphers,
            keyLocation: self.location(of: keyPath)
        )
    }

    /// `secureSocket = { cert, key, disable }` of an upstream client or an identity provider's `clientConfig`.
    mutating func clientSecureSocket(_ fields: Fields, at path: ConfigPath) -> ClientSecureSocketConfig? {
        self.checkKeys(fields, at: path, allowed: ["cert", "key", "disable"])
        let disable = self.bool(fields, "disable", at: path) ?? false
        var config = ClientSecureSocketConfig(
            disable: disable,
            certLocation: self.location(of: path.appending("cert")),
            keyLocation: self.location(of: path.appending("key"))
        )
        var valid = true
        if fields["cert"] != nil {
            if disable {
                self.error(path.appending("cert"), "has no effect with disable = true; remove one of them")
                valid = false
            } else if let cert = self.trustConfig(fields, "cert", at: path) {
                config.cert = cert
            } else {
                valid = false
            }
        }
        if fields["key"] != nil {
            if let keyFields = self.table(fields, "key", at: path), let key = self.keyConfig(keyFields, at: path.appending("key")) {
                config.key = key
            } else {
                valid = false
            }
        }
        if disable {
            self.warning(path.appending("disable"), "server certificates are not verified: anyone on the network path can impersonate the server")
        }
        return valid ? config : nil
    }

    /// `mtls = { subjectScopes = { "CN=billing,O=Example" = ["orders:read"] } }`.
    mutating func mtlsEntry(_ fields: Fields, at path: ConfigPath) -> AuthMethodConfig? {
        self.checkKeys(fields, at: path, allowed: ["subjectScopes"])
        if !self.acceptsClientCertificates {
            self.error(path, "needs listener.secureSocket.mutualSsl: without it no client certificate is ever verified")
        }
        var subjectScopes: [String: [String]] = [:]
        if let table = self.table(fields, "subjectScopes", at: path) {
            let tablePath = path.appending("subjectScopes")
            for subject in table.keys.sorted() {
                let subjectPath = tablePath.appending(subject)
                guard let canonical = DistinguishedNameText.canonical(subject) else {
                    self.error(subjectPath, "is not a distinguished name in RFC 4514 form, such as \"CN=billing,O=Example\"")
                    continue
                }
                if subjectScopes[canonical] != nil {
                    self.error(subjectPath, "names the same subject as another key")
                    continue
                }
                if let scopes = self.scopes(table, key: subject, at: tablePath, allowEmpty: true) {
                    subjectScopes[canonical] = scopes
                }
            }
        }
        return .mtls(subjectScopes: subjectScopes)
    }

    /// The location of `path` in the file being validated.
    func location(of path: ConfigPath) -> ConfigLocation {
        ConfigLocation(file: self.file, line: self.lines.line(for: path), path: path)
    }

    /// `{ certFile, keyFile, keyPassword }` or `{ path, password }`.
    mutating func keyConfig(_ fields: Fields, at path: ConfigPath) -> KeyConfig? {
        if fields["path"] != nil || fields["password"] != nil {
            self.checkKeys(fields, at: path, allowed: ["path", "password"])
            let store = self.readableFile(fields, "path", at: path)
            let password = self.string(fields, "password", at: path, required: true)
            guard let store, let password else { return nil }
            return .keyStore(path: store, password: password)
        }
        self.checkKeys(fields, at: path, allowed: ["certFile", "keyFile", "keyPassword"])
        let certFile = self.readableFile(fields, "certFile", at: path)
        let keyFile = self.readableFile(fields, "keyFile", at: path)
        let keyPassword = self.string(fields, "keyPassword", at: path)
        guard let certFile, let keyFile else { return nil }
        return .pem(certFile: certFile, keyFile: keyFile, keyPassword: keyPassword)
    }

    /// `cert = "ca.pem"` or `cert = { path, password }`.
    mutating func trustConfig(_ fields: Fields, _ key: String, at path: ConfigPath) -> TrustConfig? {
        guard let node = fields[key] else {
            self.error(path, "needs \(key): a PEM file of CA certificates or { path, password }")
            return nil
        }
        switch node {
        case .string:
            return self.readableFile(fields, key, at: path).map { TrustConfig.pem(certFile: $0) }
        case .table(let store):
            let storePath = path.appending(key)
            self.checkKeys(store, at: storePath, allowed: ["path", "password"])
            let file = self.readableFile(store, "path", at: storePath)
            let password = self.string(store, "password", at: storePath, required: true)
            guard let file, let password else { return nil }
            return .trustStore(path: file, password: password)
        default:
            self.error(path.appending(key), "must be a file name or { path, password }, not \(node.typeNameWithArticle)")
            return nil
        }
    }

    mutating func mutualSsl(_ fields: Fields, at path: ConfigPath) -> MutualSSLConfig? {
        self.checkKeys(fields, at: path, allowed: ["verifyClient", "cert"])
        var verify = MutualSSLConfig.VerifyClient.require
        if let value = self.string(fields, "verifyClient", at: path) {
            if let parsed = MutualSSLConfig.VerifyClient(rawValue: value) {
                verify = parsed
            } else {
                self.error(path.appending("verifyClient"), "must be REQUIRE or OPTIONAL")
            }
        }
        guard let cert = self.trustConfig(fields, "cert", at: path) else { return nil }
        return MutualSSLConfig(verifyClient: verify, cert: cert, certLocation: self.location(of: path.appending("cert")))
    }

    /// `protocol = { name = "TLS", versions = ["TLSv1.2", "TLSv1.3"] }`.
    mutating func tlsVersions(_ fields: Fields, at path: ConfigPath) -> [TLSVersion]? {
        self.checkKeys(fields, at: path, allowed: ["name", "versions"])
        if let name = self.string(fields, "name", at: path), name != "TLS" {
            self.error(path.appending("name"), "must be \"TLS\" (SSL and DTLS are not offered)")
        }
        guard let names = self.stringArray(fields, "versions", at: path) else { return nil }
        var versions: [TLSVersion] = []
        for (index, name) in names.enumerated() {
            guard let version = TLSVersion(rawValue: name) else {
                self.error(
                    path.appending("versions").appending(index: index),
                    "\"\(name)\" is not offered; use TLSv1.2 or TLSv1.3 (older versions are insecure)"
                )
                continue
            }
            if !versions.contains(version) { versions.append(version) }
        }
        if names.isEmpty {
            self.error(path.appending("versions"), "must name at least one version")
        }
        return versions.isEmpty ? nil : versions.sorted()
    }

    /// A required file name, resolved against the config file's folder and checked to be readable.
    mutating func readableFile(_ fields: Fields, _ key: String, at path: ConfigPath) -> String? {
        guard let name = self.string(fields, key, at: path, required: true) else { return nil }
        guard !name.isEmpty else {
            self.error(path.appending(key), "must not be empty")
            return nil
        }
        let resolved = self.resolve(name)
        guard FileManager.default.isReadableFile(atPath: resolved) else {
            self.error(path.appending(key), "\(resolved): cannot be read")
            return nil
        }
        return resolved
    }

    /// Relative names are relative to the folder of the config file, so a config and its
    /// certificates can move together whatever the working directory of the gateway.
    func resolve(_ name: String) -> String {
        guard !name.hasPrefix("/"), let slash = self.file.lastIndex(of: "/") else { return name }
        return String(self.file[...slash]) + name
    }
}
