/// The `oauth2IntrospectionConfig` record (Ballerina's `OAuth2IntrospectionConfig`) and the
/// identity-provider client credentials it may carry.
extension ConfigValidator {
    /// Form parameters the gateway sets itself; `optionalParams` cannot replace them.
    static let reservedIntrospectionParameters: Set<String> = ["token", "token_type_hint"]

    mutating func introspection(_ fields: Fields, at path: ConfigPath) -> IntrospectionConfig? {
        self.checkKeys(
            fields,
            at: path,
            allowed: [
                "url", "tokenTypeHint", "scopeKey", "optionalParams", "defaultTokenExpTimeInSeconds", "defaultTokenExpTime",
                "cacheConfig", "inactiveTokenCacheTimeInSeconds", "clientConfig",
            ]
        )
        let url = self.string(fields, "url", at: path, required: true).flatMap { self.httpURL($0, at: path.appending("url")) }
        var config = IntrospectionConfig(url: url ?? "")
        config.tokenTypeHint = self.nonEmptyString(fields, "tokenTypeHint", at: path)
        if let scopeKey = self.scopeKey(fields, at: path) {
            config.scopeKey = scopeKey
        }
        config.optionalParams = self.optionalParams(
            fields,
            at: path,
            reserved: Self.reservedIntrospectionParameters,
            hint: " (token, token_type_hint: use tokenTypeHint)"
        )
        self.notBoth(fields, "defaultTokenExpTime", "defaultTokenExpTimeInSeconds", reportingAt: "defaultTokenExpTime", at: path)
        for key in ["defaultTokenExpTimeInSeconds", "defaultTokenExpTime"] {
            guard let seconds = self.seconds(fields, key, at: path) else { continue }
            if seconds > 0 {
                config.defaultTokenExpTimeSeconds = seconds
            } else {
                self.error(path.appending(key), "must be greater than 0")
            }
        }
        if let table = self.table(fields, "cacheConfig", at: path) {
            config.cache = self.cacheSettings(table, at: path.appending("cacheConfig"), defaults: IntrospectionConfig.defaultCache)
        }
        if let seconds = self.seconds(fields, "inactiveTokenCacheTimeInSeconds", at: path) {
            if seconds <= 300 {
                config.inactiveCacheSeconds = seconds
            } else {
                self.error(
                    path.appending("inactiveTokenCacheTimeInSeconds"),
                    "must be at most 300 seconds: a token that becomes active would be refused that long"
                )
            }
        }
        if let table = self.table(fields, "clientConfig", at: path) {
            config.client = self.identityProviderClient(table, at: path.appending("clientConfig"), allowsAuth: true)
        }
        if let url, url.lowercased().hasPrefix("http://") {
            self.warning(path.appending("url"), "sends bearer tokens over plain HTTP; anyone on the network path can read and replay them")
        }
        if config.client.auth == nil && !config.client.customHeaders.keys.contains(where: { $0.lowercased() == "authorization" }) {
            self.warning(
                path.appending("clientConfig"),
                "has no auth: most authorization servers refuse introspection from an unauthenticated client (RFC 7662 §2.1)"
            )
        }
        return url == nil ? nil : config
    }

    /// `auth = { username, password }` (HTTP Basic), `auth = { token }` (bearer), or an OAuth2
    /// grant config (a token obtained and renewed by the gateway).
    mutating func identityProviderAuth(_ fields: Fields, at path: ConfigPath) -> IdentityProviderClientAuth? {
        if fields["token"] != nil {
            return self.bearerToken(fields, at: path).map { .bearer(token: $0) }
        }
        let grantKeys = ["tokenUrl", "refreshUrl", "refreshToken", "clientId", "clientSecret"]
        if grantKeys.contains(where: { fields[$0] != nil }) {
            return self.oauth2Grant(fields, at: path).map(IdentityProviderClientAuth.oauth2)
        }
        guard fields["username"] != nil || fields["password"] != nil else {
            self.error(path, "needs { username, password } (HTTP Basic), { token } (bearer) or an OAuth2 grant config (tokenUrl)")
            return nil
        }
        self.checkKeys(fields, at: path, allowed: ["username", "password"])
        return self.usernameAndPassword(fields, at: path).map { .basic(username: $0.0, password: $0.1) }
    }
}
