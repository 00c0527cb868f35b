import HTTPTypes
import NIOHTTP1
import PortcullisAuth

/// Header rewriting between the client and the upstream (RFC 9110 §7.6.1 and the contract §4).
enum ProxyHeaders {
    /// Hop-by-hop headers, never forwarded in either direction.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Identity headers the gateway sets; inbound copies are always removed.
    static let identity: Set<String> = ["x-auth-subject", "x-auth-scopes", "x-auth-method", "x-forwarded-client-cert"]

    /// Headers the gateway sets itself toward the upstream.
    static let forwarded: Set<String> = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "host"]

    /// The headers to send upstream for an inbound request.
    static func upstreamHeaders(
        from inbound: HTTPFields,
        authority: String?,
        downstream: Downstream,
        target: UpstreamTarget
    ) -> HTTPHeaders {
        let connectionListed = self.connectionTokens(inbound)
        var headers = HTTPHeaders()
        headers.reserveCapacity(inbound.count + 6)
        var priorForwardedFor: [String] = []
        for field in inbound {
            let name = field.name.canonicalName
            if name == "x-forwarded-for" {
                priorForwardedFor.append(field.value)
                continue
            }
            if self.hopByHop.contains(name) || self.identity.contains(name) || self.forwarded.contains(name)
                || connectionListed.contains(name)
            {
                continue
            }
            if name == "authorization" && target.hideCredentials { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let clientAddress = downstream.clientAddress {
            priorForwardedFor.append(clientAddress)
        }
        if !priorForwardedFor.isEmpty {
            headers.add(name: "x-forwarded-for", value: priorForwardedFor.joined(separator: ", "))
        }
        headers.add(name: "x-forwarded-proto", value: downstream.scheme)
        if let host = authority {
            headers.add(name: "x-forwarded-host", value: host)
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
    static func clientHeaders(from upstream: HTTPHeaders) -> HTTPFields {
        var connectionListed: Set<String> = []
        for value in upstream["connection"] {
            for token in value.split(separator: ",") {
                connectionListed.insert(token.trimmingSpaces().lowercased())
            }
        }
        var fields = HTTPFields()
        fields.reserveCapacity(upstream.count)
        for (name, value) in upstream {
            let lowered = name.lowercased()
            if self.hopByHop.contains(lowered) || connectionListed.contains(lowered) { continue }
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }

    private static func connectionTokens(_ fields: HTTPFields) -> Set<String> {
        var tokens: Set<String> = []
        for value in fields[values: .connection] {
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
