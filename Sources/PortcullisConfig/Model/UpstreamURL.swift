/// A validated upstream address: `http` or `https`, a host, an optional port and path prefix.
public struct UpstreamURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// A prefix put before every forwarded path; empty when the URL has no path.
    public var pathPrefix: String

    /// Parses `http://host[:port][/prefix]`; returns why not otherwise.
    public static func parse(_ text: String) -> Result<UpstreamURL, ConfigValueError> {
        let scheme: String
        let rest: Substring
        if text.lowercased().hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst(7)
        } else if text.lowercased().hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst(8)
        } else {
            return .failure(.init("must start with http:// or https://"))
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        guard !tail.contains("?"), !tail.contains("#") else {
            return .failure(.init("must not carry a query or fragment"))
        }
        guard !authority.contains("@") else {
            return .failure(.init("must not carry credentials; use upstreamClient.auth"))
        }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(.init("has an unterminated IPv6 address")) }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()), (1...65535).contains(parsed) else {
                    return .failure(.init("has an invalid port"))
                }
                port = parsed
            } else if !after.isEmpty {
                return .failure(.init("has an invalid host"))
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let parsed = Int(host[host.index(after: colon)...]), (1...65535).contains(parsed) else {
                return .failure(.init("has an invalid port"))
            }
            port = parsed
            host = host[..<colon]
        }
        guard !host.isEmpty,
            host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" })
        else {
            return .failure(.init("has an invalid host"))
        }
        var prefix = String(tail)
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return .success(UpstreamURL(scheme: scheme, host: String(host), port: port, pathPrefix: prefix))
    }

    public init(scheme: String, host: String, port: Int, pathPrefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    /// `scheme://host:port` with IPv6 hosts bracketed.
    public var origin: String {
        let hostPart = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.scheme)://\(hostPart):\(self.port)"
    }

    public var description: String { self.origin + self.pathPrefix }
}
