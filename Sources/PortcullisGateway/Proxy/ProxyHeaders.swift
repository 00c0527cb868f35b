import NIOHTTP1
import PortcullisAuth

/// Header rewriting between the client and the upstream (RFC 9110 §7.6.1 and the contract §4).
enum ProxyHeaders {
    /// Hop-by-hop headers, never forwarded in either direction. `expect` too: the gateway answers
    /// `100-continue` itself once the request is authorized.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade", "expect",
    ]

    /// Identity headers the gateway sets; inbound copies are always removed.
    static let identity: Set<String> = ["x-auth-subject", "x-auth-scopes", "x-auth-method", "x-forwarded-client-cert"]

    /// Headers the gateway sets itself toward the upstream.
    static let forwarded: Set<String> = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "host"]

    /// The headers to send upstream for an inbound request.
    ///
    /// - Parameter authorization: the gateway's own credentials for the upstream
    ///   (`upstreamClient.auth`), which replace the client's.
    static func upstreamHeaders(
        from inbound: HTTPHeaders,
        downstream: Downstream,
        target: UpstreamTarget,
        authorization: String?
    ) -> HTTPHeaders {
        let connectionListed = self.connectionTokens(inbound)
        var headers = HTTPHeaders()
        headers.reserveCapacity(inbound.count + 6)
        headers.add(name: "host", value: target.hostHeader)
        var forwardedFor = ""
        var authority: String?
        for (name, value) in inbound {
            let lowered = name.lowercased()
            switch lowered {
            case "x-forwarded-for":
                forwardedFor += forwardedFor.isEmpty ? value : ", " + value
                continue
            case "host":
                if authority == nil { authority = value }
                continue
            case "authorization":
                if target.hideCredentials || authorization != nil { continue }
            default:
                if self.hopByHop.contains(lowered) || self.identity.contains(lowered) || self.forwarded.contains(lowered)
                    || (!connectionListed.isEmpty && connectionListed.contains(lowered))
                {
                    continue
                }
            }
            headers.add(name: name, value: value)
        }
        if let authorization {
            headers.add(name: "authorization", value: authorization)
        }
        if let clientAddress = downstream.clientAddress {
            forwardedFor += forwardedFor.isEmpty ? clientAddress : ", " + clientAddress
        }
        if !forwardedFor.isEmpty {
            headers.add(name: "x-forwarded-for", value: forwardedFor)
        }
        headers.add(name: "x-forwarded-proto", value: downstream.scheme)
        if let authority {
            headers.add(name: "x-forwarded-host", value: authority)
        }
        if target.forwardIdentity, let principal = downstream.principal {
            headers.add(name: "x-auth-subject", value: principal.subject)
            headers.add(name: "x-auth-scopes", value: principal.scopes.joined(separator: " "))
            headers.add(name: "x-auth-method", value: principal.method.rawValue)
        }
        if target.forwardIdentity, let certificate = downstream.clientCertificate {
            headers.add(name: "x-forwarded-client-cert", value: certificate.forwardedClientCertValue)
        }
        return headers
    }

    /// The headers to send the client for an upstream response.
    static func clientHeaders(from upstream: HTTPHeaders) -> HTTPHeaders {
        let connectionListed = self.connectionTokens(upstream)
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.count)
        for (name, value) in upstream {
            let lowered = name.lowercased()
            if self.hopByHop.contains(lowered) || (!connectionListed.isEmpty && connectionListed.contains(lowered)) {
                continue
            }
            headers.add(name: name, value: value)
        }
        return headers
    }

    private static func connectionTokens(_ headers: HTTPHeaders) -> Set<String> {
        var tokens: Set<String> = []
        for value in headers["connection"] {
            for token in value.split(separator: ",") {
                tokens.insert(token.trimmingSpaces().lowercased())
            }
        }
        return tokens
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) }) else {
            return self[self.endIndex...]
        }
        return self[first...last]
    }
}
