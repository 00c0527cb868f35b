/// `upstreamClient.auth`: one of Ballerina's client-auth records, told apart by its fields.
extension ConfigValidator {
    /// The fields only one kind of record has.
    static let clientAuthKinds: [(kind: String, keys: [String])] = [
        ("a bearer token config { token }", ["token"]),
        (
            "an OAuth2 grant config",
            [
                "tokenUrl", "refreshUrl", "refreshToken", "clientId", "clientSecret", "scopes", "defaultTokenExpTime", "clockSkew",
                "optionalParams", "credentialBearer", "clientConfig", "refreshConfig",
            ]
        ),
        ("a self-signed JWT config", ["issuer", "audience", "jwtId", "keyId", "customClaims", "expTime", "signatureConfig"]),
    ]

    mutating func clientAuth(_ fields: Fields, at path: ConfigPath) -> ClientAuthConfig? {
        let kinds = Self.clientAuthKinds.filter { kind in kind.keys.contains { fields[$0] != nil } }
        if kinds.count > 1 {
            let second = kinds[1].keys.first { fields[$0] != nil } ?? ""
            self.error(path.appending(second), "mixes the fields of \(kinds[0].kind) and \(kinds[1].kind); give one record")
            return nil
        }
        switch kinds.first?.keys.first {
        case "token":
            return self.bearerToken(fields, at: path).map { .bearer(token: $0) }
        case "tokenUrl":
            return self.oauth2Grant(fields, at: path).map(ClientAuthConfig.oauth2)
        case "issuer":
            return self.jwtIssuer(fields, at: path).map(ClientAuthConfig.selfSignedJWT)
        default:
            guard fields["username"] != nil || fields["password"] != nil else {
                self.error(
                    path,
                    "needs { username, password } (Basic), { token } (bearer), an OAuth2 grant config (tokenUrl or refreshUrl) "
                        + "or a self-signed JWT config (signatureConfig)"
                )
                return nil
            }
            self.checkKeys(fields, at: path, allowed: ["username", "password"])
            guard let (username, password) = self.usernameAndPassword(fields, at: path) else { return nil }
            guard !username.contains(":") else {
                self.error(path.appending("username"), "must not contain ':' (RFC 7617 §2)")
                return nil
            }
            return .basic(username: username, password: password)
        }
    }

    /// `username` and `password`, both required and not empty.
    mutating func usernameAndPassword(_ fields: Fields, at path: ConfigPath) -> (String, String)? {
        let username = self.string(fields, "username", at: path, required: true)
        let password = self.string(fields, "password", at: path, required: true)
        guard let username, let password else { return nil }
        guard !username.isEmpty, !password.isEmpty else {
            self.error(path.appending(username.isEmpty ? "username" : "password"), "must not be empty")
            return nil
        }
        return (username, password)
    }

    /// `{ token }`: a bearer token of printable ASCII without spaces.
    mutating func bearerToken(_ fields: Fields, at path: ConfigPath) -> String? {
        self.checkKeys(fields, at: path, allowed: ["token"])
        guard let token = self.string(fields, "token", at: path) else { return nil }
        guard Self.isBearerToken(token) else {
            self.error(path.appending("token"), "must be a non-empty token of printable ASCII without spaces")
            return nil
        }
        return token
    }

    static func isBearerToken(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    // MARK: OAuth2

    mutating func oauth2Grant(_ fields: Fields, at path: ConfigPath) -> OAuth2GrantConfig? {
        let grant: OAuth2GrantConfig.Grant
        let urlKey: String
        var allowed: Set<String> = [
            "clientId", "clientSecret", "scopes", "defaultTokenExpTime", "clockSkew", "optionalParams", "customPayload", "credentialBearer",
            "clientConfig",
        ]
        if fields["refreshToken"] != nil || (fields["refreshUrl"] != nil && fields["tokenUrl"] == nil) {
            urlKey = "refreshUrl"
            allowed.formUnion(["refreshUrl", "refreshToken"])
            self.checkKeys(fields, at: path, allowed: allowed)
            guard let token = self.string(fields, "refreshToken", at: path, required: true) else { return nil }
            guard !token.isEmpty else {
                self.error(path.appending("refreshToken"), "must not be empty")
                return nil
            }
            grant = .refreshToken(token)
        } else if fields["username"] != nil || fields["password"] != nil {
            urlKey = "tokenUrl"
            allowed.formUnion(["tokenUrl", "username", "password", "refreshConfig"])
            self.checkKeys(fields, at: path, allowed: allowed)
            guard let (username, password) = self.usernameAndPassword(fields, at: path) else { return nil }
            grant = .password(username: username, password: password)
        } else {
            urlKey = "tokenUrl"
            allowed.insert("tokenUrl")
            self.checkKeys(fields, at: path, allowed: allowed)
            grant = .clientCredentials
        }
        guard let endpoint = self.tokenEndpoint(fields, urlKey: urlKey, at: path) else { return nil }
        if case .clientCredentials = grant, endpoint.clientID == nil || endpoint.clientSecret == nil {
            if fields["clientId"] == nil && fields["clientSecret"] == nil {
                self.error(path.appending("clientId"), "is required for the client credentials grant")
            }
            return nil
        }
        var config = OAuth2GrantConfig(grant: grant, endpoint: endpoint)
        if let seconds = self.seconds(fields, "defaultTokenExpTime", at: path) {
            if seconds > 0 { config.defaultTokenExpTimeSeconds = seconds } else {
                self.error(path.appending("defaultTokenExpTime"), "must be greater than 0")
            }
        }
        if let seconds = self.seconds(fields, "clockSkew", at: path) {
            config.clockSkewSeconds = seconds
        }
        switch fields["refreshConfig"] {
        case .string("INFER_REFRESH_CONFIG")?:
            var inferred = endpoint
            inferred.scopes = []
            config.refresh = inferred
        case .table(let table)?:
            let refreshPath = path.appending("refreshConfig")
            self.checkKeys(table, at: refreshPath, allowed: ["refreshUrl", "scopes", "optionalParams", "credentialBearer", "clientConfig"])
            if var refresh = self.tokenEndpoint(table, urlKey: "refreshUrl", at: refreshPath, credentialsFrom: fields) {
                refresh.clientID = endpoint.clientID
                refresh.clientSecret = endpoint.clientSecret
                config.refresh = refresh
            }
        case let node?:
            self.error(path.appending("refreshConfig"), "must be a table or \"INFER_REFRESH_CONFIG\", not \(node.typeNameWithArticle)")
        case nil:
            break
        }
        return config
    }

    /// The URL, client credentials, scopes, parameters, credential bearer and client of a token
    /// endpoint. `credentialsFrom` is the record whose `clientId`/`clientSecret` apply (the grant's,
    /// for a `refreshConfig`).
    mutating func tokenEndpoint(_ fields: Fields, urlKey: String, at path: ConfigPath, credentialsFrom: Fields? = nil) -> OAuth2TokenEndpointConfig? {
        guard let url = self.string(fields, urlKey, at: path, required: true).flatMap({ self.httpURL($0, at: path.appending(urlKey)) }) else {
            return nil
        }
        var endpoint = OAuth2TokenEndpointConfig(url: url)
        if credentialsFrom == nil {
            endpoint.clientID = self.nonEmptyString(fields, "clientId", at: path)
            endpoint.clientSecret = self.nonEmptyString(fields, "clientSecret", at: path)
            if (fields["clientId"] == nil) != (fields["clientSecret"] == nil) {
                let missing = fields["clientId"] == nil ? "clientId" : "clientSecret"
                self.error(path.appending(missing), "is required with \(missing == "clientId" ? "clientSecret" : "clientId")")
            }
        }
        if let scopes = self.scopes(fields, at: path, allowEmpty: true) {
            endpoint.scopes = scopes
        }
        endpoint.optionalParams = self.optionalParams(fields, at: path, reserved: Self.reservedTokenParameters, hint: "")
        for (name, value) in self.customPayload(fields, at: path) {
            if endpoint.optionalParams[name] != nil {
                self.error(path.appending("customPayload"), "sets \(name), which optionalParams sets too")
            } else {
                endpoint.optionalParams[name] = value
            }
        }
        if let bearer = self.string(fields, "credentialBearer", at: path) {
            if let parsed = OAuth2TokenEndpointConfig.CredentialBearer(rawValue: bearer) {
                endpoint.credentialBearer = parsed
            } else {
                self.error(path.appending("credentialBearer"), "must be AUTH_HEADER_BEARER or POST_BODY_BEARER")
            }
        }
        if let table = self.table(fields, "clientConfig", at: path) {
            endpoint.client = self.identityProviderClient(table, at: path.appending("clientConfig"), allowsAuth: false)
        }
        if url.lowercased().hasPrefix("http://") {
            self.warning(path.appending(urlKey), "sends client credentials and receives tokens over plain HTTP; anyone on the network path can read them")
        }
        return endpoint
    }

    /// `optionalParams = { name = "value" }`: form parameters sent with every call, except those in
    /// `reserved`, which the gateway sets itself (`hint` says what to use instead).
    mutating func optionalParams(_ fields: Fields, at path: ConfigPath, reserved: Set<String>, hint: String) -> [String: String] {
        guard let table = self.table(fields, "optionalParams", at: path) else { return [:] }
        let paramsPath = path.appending("optionalParams")
        var params: [String: String] = [:]
        for name in table.keys.sorted() {
            guard let value = self.string(table, name, at: paramsPath) else { continue }
            if reserved.contains(name) || name.isEmpty {
                self.error(paramsPath.appending(name), "is set by the gateway itself\(hint)")
                continue
            }
            params[name] = value
        }
        return params
    }

    /// `customPayload = "audience=orders-api&resource=urn%3Aorders"`: Ballerina's extra form
    /// parameters of a token request, as one form-encoded string; the grant's own parameters are
    /// refused there as in `optionalParams`.
    mutating func customPayload(_ fields: Fields, at path: ConfigPath) -> [(String, String)] {
        guard let payload = self.string(fields, "customPayload", at: path) else { return [] }
        let payloadPath = path.appending("customPayload")
        var pairs: [(String, String)] = []
        for part in payload.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "="),
                let name = Self.formDecoded(part[..<equals]), !name.isEmpty,
                let value = Self.formDecoded(part[part.index(after: equals)...])
            else {
                self.error(payloadPath, "must be form parameters, name=value joined by &, percent-encoded (\"\(part.prefix(40))\" is not one)")
                return []
            }
            if Self.reservedTokenParameters.contains(name) {
                self.error(payloadPath, "sets \(name), which the gateway sets itself")
                return []
            }
            if pairs.contains(where: { $0.0 == name }) {
                self.error(payloadPath, "sets \(name) twice")
                return []
            }
            pairs.append((name, value))
        }
        return pairs
    }

    /// `application/x-www-form-urlencoded` decoding of one name or value (`+` is a space); `nil`
    /// for a bad `%` escape or bytes that are not UTF-8.
    static func formDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap([UInt8].hexadecimalDigit), let low = iterator.next().flatMap([UInt8].hexadecimalDigit) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Form parameters the token request sets itself.
    static let reservedTokenParameters: Set<String> = [
        "grant_type", "scope", "client_id", "client_secret", "username", "password", "refresh_token",
    ]

    // MARK: Self-signed JWT

    mutating func jwtIssuer(_ fields: Fields, at path: ConfigPath) -> JWTIssuerConfig? {
        self.checkKeys(
            fields,
            at: path,
            allowed: ["username", "issuer", "audience", "jwtId", "keyId", "customClaims", "expTime", "signatureConfig"]
        )
        var config = JWTIssuerConfig()
        config.subject = self.nonEmptyString(fields, "username", at: path)
        config.issuer = self.nonEmptyString(fields, "issuer", at: path)
        config.audience = self.audience(fields, at: path) ?? []
        config.jwtID = self.nonEmptyString(fields, "jwtId", at: path)
        config.keyID = self.nonEmptyString(fields, "keyId", at: path)
        if let table = self.table(fields, "customClaims", at: path) {
            for key in table.keys.sorted() {
                if let node = table[key], let value = self.claimValue(node, at: path.appending("customClaims").appending(key)) {
                    config.customClaims[key] = value
                }
            }
        }
        if let seconds = self.seconds(fields, "expTime", at: path) {
            if seconds >= 1 { config.expTimeSeconds = seconds } else { self.error(path.appending("expTime"), "must be at least 1 second") }
        }
        guard let signature = self.table(fields, "signatureConfig", at: path) else {
            self.warning(path, "has no signatureConfig: the JWT is unsecured (alg none), and upstreams following RFC 8725 refuse it")
            return config
        }
        let signaturePath = path.appending("signatureConfig")
        config.signatureLocation = self.location(of: signaturePath)
        self.checkKeys(signature, at: signaturePath, allowed: ["algorithm", "config"])
        var unsigned = false
        if let algorithm = self.string(signature, "algorithm", at: signaturePath) {
            if algorithm == "NONE" || algorithm == "none" {
                unsigned = true
                self.warning(signaturePath.appending("algorithm"), "NONE: the JWT is unsecured, and upstreams following RFC 8725 refuse it")
            } else if let parsed = JWTAlgorithmName(rawValue: algorithm) {
                config.algorithm = parsed
            } else {
                self.error(
                    signaturePath.appending("algorithm"),
                    "\"\(algorithm)\" is not one of NONE, \(JWTAlgorithmName.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                return nil
            }
        }
        let configPath = signaturePath.appending("config")
        switch signature["config"] {
        case nil:
            guard unsigned else {
                self.error(configPath, "is required to sign: { keyFile, keyPassword }, { keyStore, keyAlias, keyPassword } or a secret")
                return nil
            }
        case .string(let secret)?:
            guard !unsigned else {
                self.error(configPath, "has no use with algorithm NONE")
                return nil
            }
            guard !secret.isEmpty else {
                self.error(configPath, "must not be empty")
                return nil
            }
            if let algorithm = config.algorithm, !JWTAlgorithmName.hmac.contains(algorithm) {
                self.error(signaturePath.appending("algorithm"), "\(algorithm.rawValue) needs a private key, not a secret")
                return nil
            }
            config.signature = .secret(secret)
        case .table(let table)?:
            guard !unsigned else {
                self.error(configPath, "has no use with algorithm NONE")
                return nil
            }
            if table["keyStore"] != nil {
                self.checkKeys(table, at: configPath, allowed: ["keyStore", "keyAlias", "keyPassword"])
                guard let store = self.table(table, "keyStore", at: configPath) else { return nil }
                let storePath = configPath.appending("keyStore")
                self.checkKeys(store, at: storePath, allowed: ["path", "password"])
                let file = self.readableFile(store, "path", at: storePath)
                let password = self.string(store, "password", at: storePath, required: true)
                guard let file, let password else { return nil }
                config.signature = .keyStore(
                    path: file,
                    password: password,
                    alias: self.nonEmptyString(table, "keyAlias", at: configPath),
                    keyPassword: self.string(table, "keyPassword", at: configPath)
                )
            } else {
                self.checkKeys(table, at: configPath, allowed: ["keyFile", "keyPassword"])
                guard let file = self.readableFile(table, "keyFile", at: configPath) else { return nil }
                config.signature = .keyFile(path: file, password: self.string(table, "keyPassword", at: configPath))
            }
        case let node?:
            self.error(configPath, "must be a table or a secret string, not \(node.typeNameWithArticle)")
            return nil
        }
        return config
    }
}
