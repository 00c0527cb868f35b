#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `jwtValidatorConfig` record and the identity-provider `clientConfig` it shares with later
/// records. Field names are Ballerina's, old and new (`clockSkewInSeconds` or `clockSkew`;
/// `trustStoreConfig` inside `signatureConfig` or, as Ballerina's documents show it, beside it).
extension ConfigValidator {
    static let signatureSources = ["certFile", "publicKey", "trustStoreConfig", "jwksConfig", "secret"]

    mutating func jwtValidator(_ fields: Fields, at path: ConfigPath) -> JWTValidatorConfig? {
        self.checkKeys(
            fields,
            at: path,
            allowed: [
                "issuer", "username", "audience", "jwtId", "keyId", "customClaims", "clockSkewInSeconds", "clockSkew",
                "scopeKey", "signatureConfig", "cacheConfig", "trustStoreConfig", "jwksConfig",
            ]
        )
        let issuer = self.nonEmptyString(fields, "issuer", at: path)
        let username = self.nonEmptyString(fields, "username", at: path)
        let jwtId = self.nonEmptyString(fields, "jwtId", at: path)
        let keyId = self.nonEmptyString(fields, "keyId", at: path)
        let audience = self.audience(fields, at: path)
        var skew = 0
        self.notBoth(fields, "clockSkew", "clockSkewInSeconds", reportingAt: "clockSkew", at: path)
        for key in ["clockSkewInSeconds", "clockSkew"] {
            guard let value = self.integer(fields, key, at: path) else { continue }
            if (0...3600).contains(value) {
                skew = value
            } else {
                self.error(path.appending(key), "must be between 0 and 3600 seconds")
            }
        }
        let scopeKey = self.scopeKey(fields, at: path) ?? "scope"
        var customClaims: [String: ClaimValue] = [:]
        if let table = self.table(fields, "customClaims", at: path) {
            for (key, node) in table.sorted(by: { $0.key < $1.key }) {
                if let value = self.claimValue(node, at: path.appending("customClaims").appending(key)) {
                    customClaims[key] = value
                }
            }
        }
        var cache = CacheSettingsConfig()
        if let table = self.table(fields, "cacheConfig", at: path) {
            cache = self.cacheSettings(table, at: path.appending("cacheConfig"), defaults: cache)
        }
        let signature = self.signature(fields, at: path)
        guard let signature else { return nil }
        return JWTValidatorConfig(
            signature: signature,
            issuer: issuer,
            username: username,
            audience: audience,
            jwtId: jwtId,
            keyId: keyId,
            customClaims: customClaims,
            clockSkewSeconds: skew,
            scopeKey: scopeKey,
            cache: cache
        )
    }

    /// `signatureConfig = { certFile | publicKey | trustStoreConfig | jwksConfig | secret }`, or the legacy
    /// `trustStoreConfig` / `jwksConfig` beside the claims.
    mutating func signature(_ fields: Fields, at path: ConfigPath) -> JWTSignatureConfig? {
        var sources: [(key: String, fields: Fields, path: ConfigPath)] = []
        if let signature = self.table(fields, "signatureConfig", at: path) {
            let signaturePath = path.appending("signatureConfig")
            self.checkKeys(signature, at: signaturePath, allowed: Set(Self.signatureSources))
            for key in Self.signatureSources where signature[key] != nil {
                sources.append((key, signature, signaturePath))
            }
        }
        for key in ["trustStoreConfig", "jwksConfig"] where fields[key] != nil {
            sources.append((key, fields, path))
        }
        guard sources.count == 1, let source = sources.first else {
            if sources.isEmpty {
                self.error(
                    fields["signatureConfig"] == nil ? path : path.appending("signatureConfig"),
                    "needs signatureConfig with one of certFile, publicKey, trustStoreConfig, jwksConfig, secret (unsigned tokens are never accepted)"
                )
            } else {
                let second = sources[1]
                self.error(
                    second.path.appending(second.key),
                    "a JWT validator takes exactly one key source; found \(sources.map(\.key).joined(separator: " and "))"
                )
            }
            return nil
        }
        let keyPath = source.path.appending(source.key)
        switch source.key {
        case "certFile":
            guard let file = self.readableFile(source.fields, "certFile", at: source.path) else { return nil }
            return .certFile(path: file, location: self.location(of: keyPath))
        case "publicKey":
            guard let pem = self.string(source.fields, "publicKey", at: source.path) else { return nil }
            guard pem.contains("-----BEGIN PUBLIC KEY-----") || pem.contains("-----BEGIN CERTIFICATE-----") else {
                self.error(keyPath, "must hold a PEM public key or certificate (-----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----)")
                return nil
            }
            if self.file != ConfigLoader.quickstartName, Self.isDevelopmentKey(pem) {
                self.warning(keyPath, "is the quickstart's public development key: anyone can mint tokens it accepts")
            }
            return .publicKey(pem: pem, location: self.location(of: keyPath))
        case "trustStoreConfig":
            guard let table = self.table(source.fields, "trustStoreConfig", at: source.path) else { return nil }
            return self.jwtTrustStore(table, at: keyPath)
        case "jwksConfig":
            guard let table = self.table(source.fields, "jwksConfig", at: source.path) else { return nil }
            return self.jwks(table, at: keyPath).map { .jwks($0) }
        default:
            guard let secret = self.string(source.fields, "secret", at: source.path) else { return nil }
            if secret.isEmpty {
                self.error(keyPath, "must not be empty")
                return nil
            }
            if secret.utf8.count < 32 {
                self.warning(keyPath, "is shorter than 32 bytes; RFC 7518 asks for at least as many bytes as the hash (HS256: 32)")
            }
            return .secret(secret)
        }
    }

    /// Whether `pem` is the quickstart's development public key, whatever its line breaks.
    static func isDevelopmentKey(_ pem: String) -> Bool {
        func body(_ text: String) -> String { text.filter { !$0.isWhitespace } }
        return body(pem) == body(QuickstartDevelopmentKey.publicKeyPEM)
    }

    /// `{ trustStore = { path, password }, certAlias }` (`certificateAlias` in Ballerina's documents).
    mutating func jwtTrustStore(_ fields: Fields, at path: ConfigPath) -> JWTSignatureConfig? {
        self.checkKeys(fields, at: path, allowed: ["trustStore", "certAlias", "certificateAlias"])
        self.notBoth(fields, "certAlias", "certificateAlias", reportingAt: "certificateAlias", at: path)
        let alias = self.nonEmptyString(fields, "certAlias", at: path) ?? self.nonEmptyString(fields, "certificateAlias", at: path)
        guard fields["trustStore"] != nil else {
            self.error(path, "needs trustStore = { path, password }")
            return nil
        }
        guard let store = self.table(fields, "trustStore", at: path) else { return nil }
        let storePath = path.appending("trustStore")
        self.checkKeys(store, at: storePath, allowed: ["path", "password"])
        let file = self.readableFile(store, "path", at: storePath)
        let password = self.string(store, "password", at: storePath, required: true)
        guard let file, let password else { return nil }
        return .trustStore(path: file, password: password, alias: alias, location: self.location(of: path))
    }

    /// `jwksConfig = { url, cacheConfig = { capacity, defaultMaxAge }, clientConfig }`.
    mutating func jwks(_ fields: Fields, at path: ConfigPath) -> JWKSConfig? {
        self.checkKeys(fields, at: path, allowed: ["url", "cacheConfig", "clientConfig"])
        let url = self.string(fields, "url", at: path, required: true).flatMap { self.httpURL($0, at: path.appending("url")) }
        var config = JWKSConfig(url: url ?? "")
        if let table = self.table(fields, "cacheConfig", at: path) {
            let settings = self.cacheSettings(
                table,
                at: path.appending("cacheConfig"),
                defaults: CacheSettingsConfig(capacity: JWKSConfig.defaultCapacity, maxAgeSeconds: JWKSConfig.defaultRefreshIntervalSeconds)
            )
            if settings.capacity == 0 {
                self.error(path.appending("cacheConfig").appending("capacity"), "must be at least 1: a key set is always kept")
            }
            config.capacity = max(1, settings.capacity)
            config.refreshIntervalSeconds = settings.maxAgeSeconds.isFinite ? max(1, settings.maxAgeSeconds) : 86_400
        }
        if let table = self.table(fields, "clientConfig", at: path) {
            config.client = self.identityProviderClient(table, at: path.appending("clientConfig"), allowsAuth: true)
        }
        if let url, url.lowercased().hasPrefix("http://") {
            self.warning(path.appending("url"), "fetches signing keys over plain HTTP; anyone on the network path can substitute them")
        }
        return url == nil ? nil : config
    }

    /// `clientConfig = { secureSocket, connectTimeout, reqTimeout, customHeaders }`, and `auth` where
    /// the identity provider authenticates the gateway.
    mutating func identityProviderClient(_ fields: Fields, at path: ConfigPath, allowsAuth: Bool) -> IdentityProviderClientConfig {
        var allowed: Set<String> = [
            "secureSocket", "connectTimeout", "connectionTimeoutInMillis", "reqTimeout", "timeout", "customHeaders", "httpVersion",
        ]
        if allowsAuth { allowed.insert("auth") }
        self.checkKeys(fields, at: path, allowed: allowed)
        var client = IdentityProviderClientConfig()
        if let table = self.table(fields, "secureSocket", at: path) {
            client.secureSocket = self.clientSecureSocket(table, at: path.appending("secureSocket"))
        }
        if let seconds = self.seconds(fields, "connectTimeout", at: path) {
            client.connectTimeoutSeconds = seconds
        }
        if let millis = self.integer(fields, "connectionTimeoutInMillis", at: path) {
            if millis > 0 { client.connectTimeoutSeconds = Double(millis) / 1000 } else {
                self.error(path.appending("connectionTimeoutInMillis"), "must be greater than 0")
            }
        }
        for key in ["reqTimeout", "timeout"] {
            if let seconds = self.seconds(fields, key, at: path) { client.requestTimeoutSeconds = seconds }
        }
        for key in ["connectTimeout", "reqTimeout", "timeout"] {
            if case .integer(0) = fields[key] { self.error(path.appending(key), "must be greater than 0") }
        }
        if let version = self.string(fields, "httpVersion", at: path), !["1.1", "2.0", "HTTP_1_1", "HTTP_2"].contains(version) {
            self.error(path.appending("httpVersion"), "must be \"1.1\" or \"2.0\"")
        }
        if let headers = self.table(fields, "customHeaders", at: path) {
            for name in headers.keys.sorted() {
                let headerPath = path.appending("customHeaders").appending(name)
                guard let value = self.string(headers, name, at: path.appending("customHeaders")) else { continue }
                guard Self.isHeaderName(name), !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    self.error(headerPath, "must be a header name with a one-line value")
                    continue
                }
                client.customHeaders[name] = value
            }
        }
        if allowsAuth, let table = self.table(fields, "auth", at: path) {
            client.auth = self.identityProviderAuth(table, at: path.appending("auth"))
            if client.auth != nil, client.customHeaders.keys.contains(where: { $0.lowercased() == "authorization" }) {
                self.error(path.appending("auth"), "give auth or an Authorization custom header, not both")
            }
        }
        return client
    }

    /// Ballerina's `cache:CacheConfig`: `capacity`, `defaultMaxAge` (`-1`: no limit of its own),
    /// and `evictionFactor` / `cleanupInterval`, accepted for compatibility.
    mutating func cacheSettings(_ fields: Fields, at path: ConfigPath, defaults: CacheSettingsConfig) -> CacheSettingsConfig {
        self.checkKeys(fields, at: path, allowed: ["capacity", "defaultMaxAge", "evictionFactor", "cleanupInterval"])
        var settings = defaults
        if let capacity = self.integer(fields, "capacity", at: path) {
            if (0...10_000_000).contains(capacity) {
                settings.capacity = capacity
            } else {
                self.error(path.appending("capacity"), "must be between 0 (no cache) and 10000000")
            }
        }
        if case .integer(-1) = fields["defaultMaxAge"] {
            settings.maxAgeSeconds = .infinity
        } else if let seconds = self.seconds(fields, "defaultMaxAge", at: path) {
            if seconds > 0 {
                settings.maxAgeSeconds = seconds
            } else {
                self.error(path.appending("defaultMaxAge"), "must be greater than 0, or -1 for no limit of its own")
            }
        }
        for key in ["evictionFactor", "cleanupInterval"] where fields[key] != nil {
            self.warning(path.appending(key), "has no effect: entries expire on their own and a full cache evicts its oldest entries")
        }
        return settings
    }

    /// `audience`: a string or an array of strings.
    mutating func audience(_ fields: Fields, at path: ConfigPath) -> [String]? {
        guard let node = fields["audience"] else { return nil }
        let audiencePath = path.appending("audience")
        switch node {
        case .string(let value) where !value.isEmpty:
            return [value]
        case .array(let elements) where !elements.isEmpty:
            var values: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let value) = element, !value.isEmpty else {
                    self.error(audiencePath.appending(index: index), "must be a non-empty string")
                    continue
                }
                values.append(value)
            }
            return values
        default:
            self.error(audiencePath, "must be a non-empty string or array of strings")
            return nil
        }
    }

    /// A TOML value as the JSON value a claim must equal.
    mutating func claimValue(_ node: TOMLNode, at path: ConfigPath) -> ClaimValue? {
        switch node {
        case .string(let value): return .string(value)
        case .integer(let value): return .number(Double(value))
        case .float(let value): return .number(value)
        case .boolean(let value): return .bool(value)
        case .array(let elements):
            var values: [ClaimValue] = []
            for (index, element) in elements.enumerated() {
                guard let value = self.claimValue(element, at: path.appending(index: index)) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .table(let table):
            var object: [String: ClaimValue] = [:]
            for (key, element) in table.sorted(by: { $0.key < $1.key }) {
                guard let value = self.claimValue(element, at: path.appending(key)) else { return nil }
                object[key] = value
            }
            return .object(object)
        case .other(let typeName):
            self.error(path, "must be a JSON-like value, not a \(typeName)")
            return nil
        }
    }

    /// An absolute `http` or `https` URL with a host.
    mutating func httpURL(_ text: String, at path: ConfigPath) -> String? {
        let lowered = text.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
            let url = URL(string: text), let host = url.host, !host.isEmpty, url.user == nil
        else {
            self.error(path, "\"\(text)\" must be an http:// or https:// URL with a host and no credentials")
            return nil
        }
        return text
    }

    /// `scopeKey`: the claim or member that holds the scopes; `nil` when absent or refused.
    mutating func scopeKey(_ fields: Fields, at path: ConfigPath) -> String? {
        guard let value = self.string(fields, "scopeKey", at: path) else { return nil }
        guard !value.isEmpty else {
            self.error(path.appending("scopeKey"), "must not be empty")
            return nil
        }
        return value
    }

    /// Refuses a record that gives both spellings of one field (Ballerina's old and new names).
    mutating func notBoth(_ fields: Fields, _ first: String, _ second: String, reportingAt key: String, at path: ConfigPath) {
        if fields[first] != nil && fields[second] != nil {
            self.error(path.appending(key), "give \(first) or \(second), not both")
        }
    }

    mutating func nonEmptyString(_ fields: Fields, _ key: String, at path: ConfigPath) -> String? {
        guard let value = self.string(fields, key, at: path) else { return nil }
        if value.isEmpty {
            self.error(path.appending(key), "must not be empty; remove the key to skip the check")
            return nil
        }
        return value
    }

    /// RFC 9110 `token` characters.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}
