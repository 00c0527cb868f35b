/// Walks a parsed TOML document and turns it into a ``GatewayConfig``, collecting every problem
/// with its line and key path instead of stopping at the first.
struct ConfigValidator {
    typealias Fields = [String: TOMLNode]

    let file: String
    let lines: TOMLLineIndex
    private(set) var errors: [ConfigDiagnostic] = []
    private(set) var warnings: [ConfigDiagnostic] = []
    /// Whether the listener verifies client certificates, which `mtls` entries need.
    var acceptsClientCertificates = false
    /// Whether `[forwardAuth]` is present: then a service may have no upstream (it serves decisions).
    var decidesForProxies = false

    init(file: String, lines: TOMLLineIndex) {
        self.file = file
        self.lines = lines
    }

    // MARK: Reporting

    mutating func error(_ path: ConfigPath, _ message: String) {
        self.errors.append(ConfigDiagnostic(file: self.file, line: self.lines.line(for: path), path: path, message: message))
    }

    mutating func warning(_ path: ConfigPath, _ message: String) {
        self.warnings.append(ConfigDiagnostic(file: self.file, line: self.lines.line(for: path), path: path, message: message))
    }

    // MARK: The document

    mutating func validate(_ document: Fields) -> GatewayConfig {
        self.checkKeys(document, at: .root, allowed: ["listener", "metrics", "accessLog", "throttling", "forwardAuth", "ballerina", "service"])
        var config = GatewayConfig()
        if let listener = self.table(document, "listener", at: .root) {
            config.listener = self.listener(listener, at: ConfigPath.root.appending("listener"))
        }
        if let metrics = self.table(document, "metrics", at: .root) {
            config.metrics = self.metrics(metrics, at: ConfigPath.root.appending("metrics"))
        }
        if let throttling = self.table(document, "throttling", at: .root) {
            config.throttling = self.throttling(throttling, at: ConfigPath.root.appending("throttling"))
        }
        if let accessLog = self.table(document, "accessLog", at: .root) {
            config.accessLog = self.accessLog(accessLog, at: ConfigPath.root.appending("accessLog"))
        }
        if let forwardAuth = self.table(document, "forwardAuth", at: .root) {
            config.forwardAuth = self.forwardAuth(forwardAuth, at: ConfigPath.root.appending("forwardAuth"))
        }
        if let ballerina = self.table(document, "ballerina", at: .root) {
            let ballerinaPath = ConfigPath.root.appending("ballerina")
            self.checkKeys(ballerina, at: ballerinaPath, allowed: ["auth"])
            if let auth = self.table(ballerina, "auth", at: ballerinaPath) {
                let authPath = ballerinaPath.appending("auth")
                self.checkKeys(auth, at: authPath, allowed: ["users"])
                config.users = self.users(auth, at: authPath)
            }
        }
        if let metrics = config.metrics, metrics.port != 0, metrics.port == config.listener.port,
            metrics.host == config.listener.host
        {
            self.error(ConfigPath.root.appending("metrics").appending("port"), "must differ from listener.port")
        }
        self.acceptsClientCertificates = config.listener.secureSocket?.mutualSsl != nil
        self.decidesForProxies = config.forwardAuth != nil
        config.services = self.services(document, at: .root, hasUsers: !config.users.isEmpty)
        config.warnings = self.warnings
        return config
    }

    mutating func listener(_ fields: Fields, at path: ConfigPath) -> ListenerConfig {
        self.checkKeys(
            fields,
            at: path,
            allowed: ["host", "port", "shutdownTimeoutSeconds", "secureSocket", "eventLoops", "requestHeaderTimeoutSeconds", "idleTimeoutSeconds"]
        )
        var listener = ListenerConfig()
        if let host = self.string(fields, "host", at: path) { listener.host = self.host(host, at: path.appending("host")) }
        if let port = self.port(fields, "port", at: path) { listener.port = port }
        if let timeout = self.seconds(fields, "shutdownTimeoutSeconds", at: path) { listener.shutdownTimeoutSeconds = timeout }
        if let loops = self.integer(fields, "eventLoops", at: path) {
            if (1...256).contains(loops) {
                listener.eventLoops = loops
            } else {
                self.error(path.appending("eventLoops"), "must be between 1 and 256")
            }
        }
        if let timeout = self.positiveSeconds(fields, "requestHeaderTimeoutSeconds", at: path) { listener.requestHeaderTimeoutSeconds = timeout }
        if let timeout = self.positiveSeconds(fields, "idleTimeoutSeconds", at: path) { listener.idleTimeoutSeconds = timeout }
        if let secureSocket = self.table(fields, "secureSocket", at: path) {
            listener.secureSocket = self.listenerSecureSocket(secureSocket, at: path.appending("secureSocket"))
        }
        return listener
    }

    mutating func metrics(_ fields: Fields, at path: ConfigPath) -> MetricsConfig {
        self.checkKeys(fields, at: path, allowed: ["host", "port", "path"])
        var metrics = MetricsConfig()
        if let host = self.string(fields, "host", at: path) { metrics.host = self.host(host, at: path.appending("host")) }
        if let port = self.port(fields, "port", at: path) { metrics.port = port }
        if let value = self.string(fields, "path", at: path) {
            if value.hasPrefix("/") && !value.contains("?") && !value.contains(" ") {
                metrics.path = value
            } else {
                self.error(path.appending("path"), "must be a path starting with /")
            }
        }
        return metrics
    }

    mutating func accessLog(_ fields: Fields, at path: ConfigPath) -> AccessLogConfig {
        self.checkKeys(fields, at: path, allowed: ["format", "path"])
        var accessLog = AccessLogConfig()
        if let format = self.string(fields, "format", at: path) {
            if let known = AccessLogConfig.Format(rawValue: format) {
                accessLog.format = known
            } else {
                self.error(path.appending("format"), "must be \"json\" or \"text\"")
            }
        }
        if let file = self.string(fields, "path", at: path) {
            if file.isEmpty {
                self.error(path.appending("path"), "must name a file (leave it out to write to standard error)")
            } else {
                accessLog.path = file
            }
        }
        return accessLog
    }

    mutating func forwardAuth(_ fields: Fields, at path: ConfigPath) -> ForwardAuthConfig {
        self.checkKeys(fields, at: path, allowed: ["path", "pathPrefix"])
        var forwardAuth = ForwardAuthConfig()
        if let value = self.string(fields, "path", at: path) {
            if value == "/" {
                self.error(path.appending("path"), "must not be / (it would shadow every service at /)")
            } else if let endpoint = self.endpointPath(value, at: path.appending("path")) {
                forwardAuth.path = endpoint
            }
        }
        if let value = self.string(fields, "pathPrefix", at: path) {
            if value == "/" {
                self.error(path.appending("pathPrefix"), "must not be / (every request would be a decision)")
            } else if let prefix = self.endpointPath(value, at: path.appending("pathPrefix")) {
                // Compared segment by segment: `/x/` and `/x` are the same prefix.
                let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
                if trimmed == forwardAuth.path || forwardAuth.path.hasPrefix(trimmed + "/") {
                    self.error(path.appending("pathPrefix"), "must not contain forwardAuth.path (\(forwardAuth.path))")
                } else {
                    forwardAuth.pathPrefix = trimmed
                }
            }
        }
        return forwardAuth
    }

    /// A path of the gateway's own: `/` and then segments of unreserved characters, no query.
    private mutating func endpointPath(_ value: String, at path: ConfigPath) -> String? {
        let allowed = value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            case UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                true
            default:
                false
            }
        }
        let segments = value.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard value.hasPrefix("/"), allowed, !segments.contains(where: { $0 == "." || $0 == ".." }),
            !value.contains("//")
        else {
            self.error(path, "\"\(value)\" must be a path starting with / (letters, digits, - _ . ~ and /; no query)")
            return nil
        }
        return value
    }

    mutating func host(_ value: String, at path: ConfigPath) -> String {
        if value.isEmpty || value.contains(where: { $0 == " " || $0 == "/" }) {
            self.error(path, "must be a host name or IP address")
        }
        return value
    }

    // MARK: The file user store

    mutating func users(_ auth: Fields, at path: ConfigPath) -> [FileUserConfig] {
        guard let entries = self.arrayOfTables(auth, "users", at: path) else { return [] }
        var users: [FileUserConfig] = []
        var seen: [String: Int] = [:]
        for (index, fields) in entries {
            let userPath = path.appending("users").appending(index: index)
            self.checkKeys(fields, at: userPath, allowed: ["username", "password", "scopes"])
            let username = self.string(fields, "username", at: userPath, required: true)
            let password = self.string(fields, "password", at: userPath, required: true)
            let scopes = self.scopes(fields, at: userPath, allowEmpty: true)
            guard let username, let password else { continue }
            if username.isEmpty {
                self.error(userPath.appending("username"), "must not be empty")
                continue
            }
            if username.contains(":") {
                self.error(userPath.appending("username"), "must not contain ':' (Basic credentials cannot carry it)")
                continue
            }
            if let first = seen[username] {
                self.error(userPath.appending("username"), "duplicates ballerina.auth.users[\(first)]")
                continue
            }
            seen[username] = index
            switch StoredPassword.parse(password) {
            case .success(let stored):
                if case .plain = stored {
                    self.warning(
                        userPath.appending("password"),
                        "plain-text password; store a hash instead (portcullis hash-password)"
                    )
                }
                users.append(FileUserConfig(username: username, password: stored, scopes: scopes))
            case .failure(let error):
                self.error(userPath.appending("password"), error.message)
            }
        }
        return users
    }

    // MARK: Services

    mutating func services(_ document: Fields, at path: ConfigPath, hasUsers: Bool) -> [ServiceConfig] {
        guard let entries = self.arrayOfTables(document, "service", at: path) else {
            if document["service"] == nil {
                self.error(path, "at least one [[service]] is required")
            }
            return []
        }
        var services: [ServiceConfig] = []
        var basePaths: [String: Int] = [:]
        for (index, fields) in entries {
            let servicePath = path.appending("service").appending(index: index)
            guard let service = self.service(fields, at: servicePath, hasUsers: hasUsers) else { continue }
            if let first = basePaths[service.basePath] {
                self.error(servicePath.appending("basePath"), "duplicates the basePath of service[\(first)]")
                continue
            }
            basePaths[service.basePath] = index
            services.append(service)
        }
        return services
    }

    mutating func service(_ fields: Fields, at path: ConfigPath, hasUsers: Bool) -> ServiceConfig? {
        self.checkKeys(
            fields,
            at: path,
            allowed: ["name", "basePath", "upstream", "hideCredentials", "forwardIdentity", "auth", "resource", "upstreamClient", "throttling"]
        )
        let basePath = self.string(fields, "basePath", at: path, required: true).flatMap { self.basePath($0, at: path.appending("basePath")) }
        let name = self.string(fields, "name", at: path)
        if let name, name.isEmpty || name.count > 64 || !name.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
            self.error(path.appending("name"), "must be 1 to 64 printable ASCII characters")
        } else if name == ServiceConfig.unmatchedName {
            self.error(path.appending("name"), "\"\(ServiceConfig.unmatchedName)\" is reserved for requests no service owns")
        }
        var upstream: UpstreamURL?
        if let text = self.string(fields, "upstream", at: path) {
            switch UpstreamURL.parse(text) {
            case .success(let url): upstream = url
            case .failure(let error): self.error(path.appending("upstream"), "\"\(text)\" \(error.message)")
            }
        }
        let hideCredentials = self.bool(fields, "hideCredentials", at: path) ?? false
        let forwardIdentity = self.bool(fields, "forwardIdentity", at: path) ?? false
        let auth = self.authEntries(fields, "auth", at: path, hasUsers: hasUsers) ?? []
        var upstreamClient = UpstreamClientConfig()
        if let client = self.table(fields, "upstreamClient", at: path) {
            upstreamClient = self.upstreamClient(client, at: path.appending("upstreamClient"))
        }
        let resources = self.resources(fields, at: path, hasUsers: hasUsers, hasUpstream: upstream != nil || fields["upstream"] != nil)
        if fields["upstream"] == nil && fields["resource"] == nil && !self.decidesForProxies {
            self.error(path, "needs an upstream, or resources that respond (or [forwardAuth], for a service that only serves decisions)")
        }
        let throttling = self.table(fields, "throttling", at: path).map { self.throttling($0, at: path.appending("throttling")) }
        guard let basePath else { return nil }
        return ServiceConfig(
            name: name ?? basePath,
            basePath: basePath,
            upstream: upstream,
            hideCredentials: hideCredentials,
            forwardIdentity: forwardIdentity,
            auth: auth,
            resources: resources,
            upstreamClient: upstreamClient,
            throttling: throttling
        )
    }

    mutating func basePath(_ value: String, at path: ConfigPath) -> String? {
        switch PathPattern.parse(value) {
        case .success(let pattern) where !pattern.matchesRemainder && pattern.segments.allSatisfy({ if case .literal = $0 { true } else { false } }):
            return pattern.description
        case .success:
            self.error(path, "must be a literal path (no {param} or /**)")
        case .failure(let error):
            self.error(path, "\"\(value)\" \(error.message)")
        }
        return nil
    }

    mutating func upstreamClient(_ fields: Fields, at path: ConfigPath) -> UpstreamClientConfig {
        self.checkKeys(fields, at: path, allowed: ["timeoutSeconds", "connectTimeoutSeconds", "auth", "secureSocket"])
        var client = UpstreamClientConfig()
        if let auth = self.table(fields, "auth", at: path) {
            client.auth = self.clientAuth(auth, at: path.appending("auth"))
        }
        if let secureSocket = self.table(fields, "secureSocket", at: path) {
            client.secureSocket = self.clientSecureSocket(secureSocket, at: path.appending("secureSocket"))
        }
        if let timeout = self.positiveSeconds(fields, "timeoutSeconds", at: path) { client.timeoutSeconds = timeout }
        if let timeout = self.positiveSeconds(fields, "connectTimeoutSeconds", at: path) { client.connectTimeoutSeconds = timeout }
        return client
    }

    /// ``seconds(_:_:at:)`` that must also be greater than 0.
    mutating func positiveSeconds(_ fields: Fields, _ key: String, at path: ConfigPath) -> Double? {
        guard let timeout = self.seconds(fields, key, at: path) else { return nil }
        guard timeout > 0 else {
            self.error(path.appending(key), "must be greater than 0")
            return nil
        }
        return timeout
    }

    mutating func resources(_ fields: Fields, at path: ConfigPath, hasUsers: Bool, hasUpstream: Bool) -> [ResourceConfig] {
        guard let entries = self.arrayOfTables(fields, "resource", at: path) else { return [] }
        var resources: [ResourceConfig] = []
        var seen: [(pattern: String, methods: Set<String>?, index: Int)] = []
        for (index, resourceFields) in entries {
            let resourcePath = path.appending("resource").appending(index: index)
            self.checkKeys(resourceFields, at: resourcePath, allowed: ["methods", "path", "auth", "respond"])
            let methods = self.methods(resourceFields, at: resourcePath)
            let pattern: PathPattern?
            if let text = self.string(resourceFields, "path", at: resourcePath, required: true) {
                switch PathPattern.parse(text) {
                case .success(let parsed): pattern = parsed
                case .failure(let error):
                    self.error(resourcePath.appending("path"), "\"\(text)\" \(error.message)")
                    pattern = nil
                }
            } else {
                pattern = nil
            }
            let auth = self.authEntries(resourceFields, "auth", at: resourcePath, hasUsers: hasUsers)
            var respond: RespondConfig?
            if let respondFields = self.table(resourceFields, "respond", at: resourcePath) {
                respond = self.respond(respondFields, at: resourcePath.appending("respond"))
            }
            if respond == nil && resourceFields["respond"] == nil && !hasUpstream && !self.decidesForProxies {
                self.error(resourcePath, "needs respond, since the service has no upstream (or [forwardAuth], for a resource that only serves decisions)")
            }
            guard let pattern else { continue }
            let methodSet = methods.map(Set.init)
            if let clash = seen.first(where: { entry in
                entry.pattern == pattern.description
                    && (entry.methods == nil || methodSet == nil || !(entry.methods!.isDisjoint(with: methodSet!)))
            }) {
                self.error(resourcePath.appending("path"), "duplicates resource[\(clash.index)] for the same methods")
                continue
            }
            seen.append((pattern.description, methodSet, index))
            resources.append(ResourceConfig(methods: methods, path: pattern, auth: auth, respond: respond))
        }
        return resources
    }

    mutating func methods(_ fields: Fields, at path: ConfigPath) -> [String]? {
        guard let values = self.stringArray(fields, "methods", at: path) else { return nil }
        if values.isEmpty {
            self.error(path.appending("methods"), "must not be empty; remove the key to allow every method")
            return nil
        }
        var methods: [String] = []
        for (index, value) in values.enumerated() {
            let method = value.uppercased()
            guard !method.isEmpty, method.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
                self.error(path.appending("methods").appending(index: index), "\"\(value)\" is not an HTTP method")
                continue
            }
            if !methods.contains(method) { methods.append(method) }
        }
        return methods
    }

    mutating func respond(_ fields: Fields, at path: ConfigPath) -> RespondConfig {
        self.checkKeys(fields, at: path, allowed: ["status", "body", "contentType"])
        var respond = RespondConfig()
        if let status = self.integer(fields, "status", at: path) {
            if (200...599).contains(status) {
                respond.status = status
            } else {
                self.error(path.appending("status"), "must be an HTTP status in 200...599")
            }
        }
        if let body = self.string(fields, "body", at: path) { respond.body = body }
        if let contentType = self.string(fields, "contentType", at: path) {
            if contentType.contains(where: { $0 == "\r" || $0 == "\n" }) || contentType.isEmpty {
                self.error(path.appending("contentType"), "must be a media type on one line")
            } else {
                respond.contentType = contentType
            }
        }
        return respond
    }

    // MARK: Auth entries

    /// Reads an `auth` array; `nil` when the key is absent.
    mutating func authEntries(_ fields: Fields, _ key: String, at path: ConfigPath, hasUsers: Bool) -> [AuthEntryConfig]? {
        guard let node = fields[key] else { return nil }
        let arrayPath = path.appending(key)
        guard case .array(let elements) = node else {
            self.error(arrayPath, "must be an array of auth entries, not \(node.typeNameWithArticle)")
            return []
        }
        var entries: [AuthEntryConfig] = []
        for (index, element) in elements.enumerated() {
            let entryPath = arrayPath.appending(index: index)
            guard case .table(let entryFields) = element else {
                self.error(entryPath, "must be a table, not \(element.typeNameWithArticle)")
                continue
            }
            if let entry = self.authEntry(entryFields, at: entryPath, hasUsers: hasUsers) {
                entries.append(entry)
            }
        }
        return entries
    }

    mutating func authEntry(_ fields: Fields, at path: ConfigPath, hasUsers: Bool) -> AuthEntryConfig? {
        let methodKeys = ["fileUserStoreConfig", "ldapUserStoreConfig", "jwtValidatorConfig", "oauth2IntrospectionConfig", "mtls"]
        self.checkKeys(fields, at: path, allowed: Set(methodKeys + ["scopes"]))
        let present = methodKeys.filter { fields[$0] != nil }
        let scopes = self.scopes(fields, at: path, allowEmpty: false)
        guard present.count == 1, let key = present.first else {
            if present.isEmpty {
                self.error(path, "needs one of \(methodKeys.joined(separator: ", "))")
            } else {
                self.error(path.appending(present[1]), "an auth entry takes exactly one method; found \(present.joined(separator: " and "))")
            }
            return nil
        }
        guard let methodFields = self.table(fields, key, at: path) else { return nil }
        if key == "mtls" {
            return self.mtlsEntry(methodFields, at: path.appending(key)).map { AuthEntryConfig(method: $0, scopes: scopes) }
        }
        if key == "jwtValidatorConfig" {
            return self.jwtValidator(methodFields, at: path.appending(key)).map { AuthEntryConfig(method: .jwt($0), scopes: scopes) }
        }
        if key == "ldapUserStoreConfig" {
            return self.ldapUserStore(methodFields, scopes: scopes, at: path.appending(key)).map {
                AuthEntryConfig(method: .ldapUserStore($0), scopes: scopes)
            }
        }
        if key == "oauth2IntrospectionConfig" {
            return self.introspection(methodFields, at: path.appending(key)).map { AuthEntryConfig(method: .introspection($0), scopes: scopes) }
        }
        self.checkKeys(methodFields, at: path.appending(key), allowed: [])
        if !hasUsers {
            self.error(path.appending(key), "the file user store is empty; add [[ballerina.auth.users]]")
        }
        return AuthEntryConfig(method: .fileUserStore, scopes: scopes)
    }

    /// Reads `scopes` as a string or an array of strings.
    mutating func scopes(_ fields: Fields, key: String = "scopes", at path: ConfigPath, allowEmpty: Bool) -> [String]? {
        guard let node = fields[key] else { return nil }
        let scopesPath = path.appending(key)
        var scopes: [String]
        switch node {
        case .string(let scope):
            scopes = [scope]
        case .array(let elements):
            scopes = []
            for (index, element) in elements.enumerated() {
                guard case .string(let scope) = element else {
                    self.error(scopesPath.appending(index: index), "must be a string, not \(element.typeNameWithArticle)")
                    continue
                }
                scopes.append(scope)
            }
        default:
            self.error(scopesPath, "must be a string or an array of strings, not \(node.typeNameWithArticle)")
            return nil
        }
        if let index = scopes.firstIndex(where: { !Self.isScopeToken($0) }) {
            self.error(scopesPath.appending(index: index), "must be a non-empty scope token (printable ASCII, no spaces, quotes or backslashes)")
        }
        if scopes.isEmpty && !allowEmpty {
            self.error(scopesPath, "must not be empty; remove the key to only authenticate")
            return nil
        }
        return scopes
    }

    /// RFC 6749 §3.3 `scope-token`: %x21 / %x23-5B / %x5D-7E, so scopes fit in a challenge header.
    static func isScopeToken(_ scope: String) -> Bool {
        !scope.isEmpty && scope.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }

    // MARK: Typed field access

    mutating func checkKeys(_ fields: Fields, at path: ConfigPath, allowed: Set<String>) {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            self.error(path.appending(key), "unknown key")
        }
    }

    mutating func table(_ fields: Fields, _ key: String, at path: ConfigPath) -> Fields? {
        guard let node = fields[key] else { return nil }
        guard case .table(let table) = node else {
            self.error(path.appending(key), "must be a table, not \(node.typeNameWithArticle)")
            return nil
        }
        return table
    }

    mutating func arrayOfTables(_ fields: Fields, _ key: String, at path: ConfigPath) -> [(Int, Fields)]? {
        guard let node = fields[key] else { return nil }
        guard case .array(let elements) = node else {
            self.error(path.appending(key), "must be an array of tables ([[\(key)]]), not \(node.typeNameWithArticle)")
            return nil
        }
        var tables: [(Int, Fields)] = []
        for (index, element) in elements.enumerated() {
            guard case .table(let table) = element else {
                self.error(path.appending(key).appending(index: index), "must be a table, not \(element.typeNameWithArticle)")
                continue
            }
            tables.append((index, table))
        }
        return tables
    }

    mutating func string(_ fields: Fields, _ key: String, at path: ConfigPath, required: Bool = false) -> String? {
        guard let node = fields[key] else {
            if required { self.error(path.appending(key), "is required") }
            return nil
        }
        guard case .string(let value) = node else {
            self.error(path.appending(key), "must be a string, not \(node.typeNameWithArticle)")
            return nil
        }
        return value
    }

    mutating func stringArray(_ fields: Fields, _ key: String, at path: ConfigPath) -> [String]? {
        guard let node = fields[key] else { return nil }
        guard case .array(let elements) = node else {
            self.error(path.appending(key), "must be an array of strings, not \(node.typeNameWithArticle)")
            return nil
        }
        var values: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let value) = element else {
                self.error(path.appending(key).appending(index: index), "must be a string, not \(element.typeNameWithArticle)")
                continue
            }
            values.append(value)
        }
        return values
    }

    mutating func bool(_ fields: Fields, _ key: String, at path: ConfigPath) -> Bool? {
        guard let node = fields[key] else { return nil }
        guard case .boolean(let value) = node else {
            self.error(path.appending(key), "must be true or false, not \(node.typeNameWithArticle)")
            return nil
        }
        return value
    }

    mutating func integer(_ fields: Fields, _ key: String, at path: ConfigPath) -> Int? {
        guard let node = fields[key] else { return nil }
        guard case .integer(let value) = node else {
            self.error(path.appending(key), "must be an integer, not \(node.typeNameWithArticle)")
            return nil
        }
        return value
    }

    mutating func port(_ fields: Fields, _ key: String, at path: ConfigPath) -> Int? {
        guard let value = self.integer(fields, key, at: path) else { return nil }
        guard (0...65535).contains(value) else {
            self.error(path.appending(key), "must be a port in 0...65535")
            return nil
        }
        return value
    }

    /// A duration in seconds, written as an integer or a float, not negative.
    mutating func seconds(_ fields: Fields, _ key: String, at path: ConfigPath) -> Double? {
        guard let node = fields[key] else { return nil }
        let value: Double
        switch node {
        case .integer(let integer): value = Double(integer)
        case .float(let float): value = float
        default:
            self.error(path.appending(key), "must be a number of seconds, not \(node.typeNameWithArticle)")
            return nil
        }
        guard value >= 0, value.isFinite, value <= 86_400 else {
            self.error(path.appending(key), "must be between 0 and 86400 seconds")
            return nil
        }
        return value
    }
}
