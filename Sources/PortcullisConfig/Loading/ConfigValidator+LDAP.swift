/// The `ldapUserStoreConfig` record (Ballerina's `LdapUserStoreConfig`).
extension ConfigValidator {
    mutating func ldapUserStore(_ fields: Fields, scopes: [String]?, at path: ConfigPath) -> LDAPUserStoreConfig? {
        self.checkKeys(
            fields,
            at: path,
            allowed: [
                "domainName", "connectionUrl", "connectionName", "connectionPassword", "userSearchBase", "userEntryObjectClass",
                "userNameAttribute", "userNameSearchFilter", "userNameListFilter", "groupSearchBase", "groupEntryObjectClass",
                "groupNameAttribute", "groupNameSearchFilter", "groupNameListFilter", "membershipAttribute", "userRolesCacheEnabled",
                "connectionPoolingEnabled", "connectionPoolSize", "connectionTimeoutInMillis", "connectionTimeout", "readTimeoutInMillis",
                "readTimeout", "secureClientSocket", "secureSocket", "cacheConfig",
            ]
        )
        var valid = true
        let url = self.string(fields, "connectionUrl", at: path, required: true).flatMap { self.ldapURL($0, at: path.appending("connectionUrl")) }
        let name = self.nonEmptyString(fields, "connectionName", at: path) ?? self.requiredMissing(fields, "connectionName", at: path)
        let password = self.string(fields, "connectionPassword", at: path, required: true)
        if password == "" {
            // A simple bind with a name and no password is an anonymous bind (RFC 4513 §5.1.2).
            self.error(path.appending("connectionPassword"), "must not be empty: a bind without a password is anonymous")
            valid = false
        }
        let userBases = self.string(fields, "userSearchBase", at: path, required: true).map { text in
            text.split(separator: "#", omittingEmptySubsequences: false).map { String($0) }
        }
        if let userBases, userBases.contains(where: \.isEmpty) {
            self.error(path.appending("userSearchBase"), "must be one or more DNs separated by #, none empty")
            valid = false
        }
        guard let url, let name, let password, let userBases, valid else { return nil }
        var config = LDAPUserStoreConfig(connectionURL: url, connectionName: name, connectionPassword: password, userSearchBases: userBases)
        config.domainName = self.nonEmptyString(fields, "domainName", at: path)

        let userClass = self.attributeName(fields, "userEntryObjectClass", at: path) ?? "person"
        config.userNameAttribute = self.attributeName(fields, "userNameAttribute", at: path) ?? "uid"
        config.userNameSearchFilter =
            self.filter(fields, "userNameSearchFilter", at: path, needsPlaceholder: true)
            ?? "(&(objectClass=\(userClass))(\(config.userNameAttribute)=?))"
        config.userNameListFilter = self.filter(fields, "userNameListFilter", at: path, needsPlaceholder: false)

        switch fields["groupSearchBase"] {
        case .string(let base)?:
            config.groupSearchBases = [base]
        case .some:
            config.groupSearchBases = self.stringArray(fields, "groupSearchBase", at: path) ?? []
        case nil:
            break
        }
        if config.groupSearchBases.contains(where: \.isEmpty) {
            self.error(path.appending("groupSearchBase"), "must not contain an empty DN")
        }
        let groupClass = self.attributeName(fields, "groupEntryObjectClass", at: path) ?? "groupOfNames"
        config.groupNameAttribute = self.attributeName(fields, "groupNameAttribute", at: path) ?? "cn"
        config.groupNameListFilter = self.filter(fields, "groupNameListFilter", at: path, needsPlaceholder: false) ?? "(objectClass=\(groupClass))"
        config.groupNameSearchFilter = self.filter(fields, "groupNameSearchFilter", at: path, needsPlaceholder: true)
        config.membershipAttribute = self.attributeName(fields, "membershipAttribute", at: path) ?? "member"
        if scopes != nil && config.groupSearchBases.isEmpty {
            self.error(
                path.appending("groupSearchBase"),
                fields["groupSearchBase"] == nil
                    ? "is required when the entry has scopes: groups are the scopes" : "must not be empty when the entry has scopes: groups are the scopes"
            )
        }

        config.userRolesCacheEnabled = self.bool(fields, "userRolesCacheEnabled", at: path) ?? false
        config.connectionPoolingEnabled = self.bool(fields, "connectionPoolingEnabled", at: path) ?? true
        if let size = self.integer(fields, "connectionPoolSize", at: path) {
            if (1...256).contains(size) {
                config.connectionPoolSize = size
            } else {
                self.error(path.appending("connectionPoolSize"), "must be between 1 and 256")
            }
        }
        if let seconds = self.timeout(fields, seconds: "connectionTimeout", millis: "connectionTimeoutInMillis", at: path) {
            config.connectTimeoutSeconds = seconds
        }
        if let seconds = self.timeout(fields, seconds: "readTimeout", millis: "readTimeoutInMillis", at: path) {
            config.readTimeoutSeconds = seconds
        }

        self.notBoth(fields, "secureClientSocket", "secureSocket", reportingAt: "secureSocket", at: path)
        for key in ["secureClientSocket", "secureSocket"] {
            guard let table = self.table(fields, key, at: path) else { continue }
            let socketPath = path.appending(key)
            config.secureSocket = self.clientSecureSocket(table, at: socketPath)
            if case .trustStore? = config.secureSocket?.cert {
                self.error(socketPath.appending("cert"), "must be a PEM file of CA certificates for LDAP (PKCS#12 trust stores are not supported here)")
            }
            if config.secureSocket?.key != nil {
                self.error(socketPath.appending("key"), "client certificates are not supported for LDAP")
            }
            if !url.lowercased().hasPrefix("ldaps://") {
                self.warning(socketPath, "has no effect: connectionUrl is not ldaps://")
            }
        }
        if let table = self.table(fields, "cacheConfig", at: path) {
            config.cache = self.cacheSettings(table, at: path.appending("cacheConfig"), defaults: config.cache)
        }
        if url.lowercased().hasPrefix("ldap://") && !Self.isLoopback(ldapURL: url) {
            self.warning(path.appending("connectionUrl"), "sends passwords over plain LDAP; anyone on the network path can read them (use ldaps://)")
        }
        return config
    }

    /// `connectionUrl`: one or more `ldap://` or `ldaps://` URLs with a host, separated by spaces,
    /// all of one scheme.
    mutating func ldapURL(_ text: String, at path: ConfigPath) -> String? {
        let urls = text.split(separator: " ")
        let schemes = Set(urls.compactMap { url in
            ["ldap://", "ldaps://"].first { url.lowercased().hasPrefix($0) }
        })
        let wellFormed = urls.allSatisfy { url in
            guard let (authority, tail) = Self.split(ldapURL: url) else { return false }
            return !authority.isEmpty && !authority.contains("@") && (tail.isEmpty || tail == "/")
        }
        guard !urls.isEmpty, schemes.count == 1, wellFormed, urls.allSatisfy({ url in schemes.contains { url.lowercased().hasPrefix($0) } }) else {
            self.error(path, "\"\(text)\" must be ldap://host[:port] or ldaps://host[:port] (several separated by spaces, one scheme)")
            return nil
        }
        return urls.joined(separator: " ")
    }

    /// An attribute or object-class name: letters, digits and `-`, or a numeric OID (RFC 4512 §1.4).
    mutating func attributeName(_ fields: Fields, _ key: String, at path: ConfigPath) -> String? {
        guard let value = self.string(fields, key, at: path) else { return nil }
        let isDescriptor = value.first?.isASCII == true && value.first?.isLetter == true
            && value.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D }
        let isOID = !value.isEmpty && value.utf8.allSatisfy { (0x30...0x39).contains($0) || $0 == 0x2E }
        guard isDescriptor || isOID else {
            self.error(path.appending(key), "\"\(value)\" is not an attribute name (letters, digits and -, or an OID)")
            return nil
        }
        return value
    }

    /// A search filter: parenthesised, parentheses balanced, and with a `?` for the value when
    /// `needsPlaceholder`.
    mutating func filter(_ fields: Fields, _ key: String, at path: ConfigPath, needsPlaceholder: Bool) -> String? {
        guard let value = self.string(fields, key, at: path) else { return nil }
        var depth = 0
        var balanced = value.hasPrefix("(") && value.hasSuffix(")")
        for character in value where balanced {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth < 0 { balanced = false }
        }
        guard balanced, depth == 0 else {
            self.error(path.appending(key), "\"\(value)\" is not an LDAP filter: it must be parenthesised, with balanced parentheses")
            return nil
        }
        if needsPlaceholder && !value.contains("?") {
            self.error(path.appending(key), "\"\(value)\" needs a ? where the name goes")
            return nil
        }
        return value
    }

    /// A timeout given in seconds (`key`) or in milliseconds (`millis`), greater than 0.
    mutating func timeout(_ fields: Fields, seconds key: String, millis: String, at path: ConfigPath) -> Double? {
        self.notBoth(fields, key, millis, reportingAt: key, at: path)
        if let millisecond = self.integer(fields, millis, at: path) {
            guard millisecond > 0, millisecond <= 86_400_000 else {
                self.error(path.appending(millis), "must be between 1 and 86400000")
                return nil
            }
            return Double(millisecond) / 1000
        }
        guard let seconds = self.seconds(fields, key, at: path) else { return nil }
        guard seconds > 0 else {
            self.error(path.appending(key), "must be greater than 0")
            return nil
        }
        return seconds
    }

    private mutating func requiredMissing(_ fields: Fields, _ key: String, at path: ConfigPath) -> String? {
        if fields[key] == nil { self.error(path.appending(key), "is required") }
        return nil
    }

    /// Whether every host of `connectionUrl` is a loopback address or `localhost`.
    static func isLoopback(ldapURL: String) -> Bool {
        ldapURL.split(separator: " ").allSatisfy { url in
            guard var host = Self.split(ldapURL: url)?.authority else { return false }
            if host.hasPrefix("[") {
                host = host.dropFirst().prefix { $0 != "]" }
            } else if let colon = host.lastIndex(of: ":") {
                host = host[..<colon]
            }
            return host == "localhost" || host.hasPrefix("127.") || host == "::1"
        }
    }

    /// `host:port` and what follows it, of an `ldap://` or `ldaps://` URL.
    static func split(ldapURL url: Substring) -> (authority: Substring, tail: Substring)? {
        let lowered = url.lowercased()
        let schemeLength = lowered.hasPrefix("ldaps://") ? 8 : lowered.hasPrefix("ldap://") ? 7 : 0
        guard schemeLength > 0 else { return nil }
        let rest = url.dropFirst(schemeLength)
        let authority = rest.prefix { $0 != "/" }
        return (authority, rest.dropFirst(authority.count))
    }
}
