import NIOHTTP1
import PortcullisAuth

/// Header rewriting between the client and the upstream (RFC 9110 §7.6.1 and the contract §4).
///
/// Both directions start from the received headers and remove what must not pass, so a typical
/// request or response is copied once and no header name is re-validated or lower-cased
/// (`lowercased()` per header and re-adding every field were ~3% of the proxy path in perf).
enum ProxyHeaders {
    /// Hop-by-hop headers, never forwarded in either direction. `expect` too: the gateway answers
    /// `100-continue` itself once the request is authorized.
    static let hopByHop: [String] = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade", "expect",
    ]

    /// Identity headers the gateway sets; inbound copies are always removed.
    static let identity: [String] = ["x-auth-subject", "x-auth-scopes", "x-auth-method", "x-forwarded-client-cert"]

    /// Headers the gateway sets itself toward the upstream (`x-forwarded-for` is appended to).
    static let forwarded: [String] = ["x-forwarded-proto", "x-forwarded-host", "host"]

    /// The headers to send upstream for an inbound request, or `nil` when a value the gateway
    /// adds (an identity from a token or a directory, a token from an authorization server)
    /// cannot be a header value: such a request is not sent.
    ///
    /// The upstream connections do not validate headers again (NIO's request validator was 8% of
    /// the proxy path in perf): the client's headers were validated when they were parsed, and
    /// every value added here is checked by ``isFieldValue(_:)``.
    ///
    /// - Parameter authorization: the gateway's own credentials for the upstream
    ///   (`upstreamClient.auth`), which replace the client's.
    static func upstreamHeaders(
        from inbound: HTTPHeaders,
        downstream: Downstream,
        target: UpstreamTarget,
        authorization: String?
    ) -> HTTPHeaders? {
        var headers = inbound
        let authority = inbound.first(name: "host")
        Self.removeHopByHop(&headers)
        for name in Self.identity where headers.contains(name: name) {
            headers.remove(name: name)
        }
        for name in Self.forwarded where headers.contains(name: name) {
            headers.remove(name: name)
        }
        var forwardedFor = ""
        if headers.contains(name: "x-forwarded-for") {
            for value in headers["x-forwarded-for"] {
                forwardedFor += forwardedFor.isEmpty ? value : ", " + value
            }
            headers.remove(name: "x-forwarded-for")
        }
        if target.hideCredentials || authorization != nil, headers.contains(name: "authorization") {
            headers.remove(name: "authorization")
        }
        headers.add(name: "host", value: target.hostHeader)
        if let authorization {
            guard Self.isFieldValue(authorization) else { return nil }
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
            let scopes = principal.scopes.joined(separator: " ")
            guard Self.isFieldValue(principal.subject), Self.isFieldValue(scopes) else { return nil }
            headers.add(name: "x-auth-subject", value: principal.subject)
            headers.add(name: "x-auth-scopes", value: scopes)
            headers.add(name: "x-auth-method", value: principal.method.rawValue)
        }
        if target.forwardIdentity, let certificate = downstream.clientCertificate {
            let value = certificate.forwardedClientCertValue
            guard Self.isFieldValue(value) else { return nil }
            headers.add(name: "x-forwarded-client-cert", value: value)
        }
        return headers
    }

    /// Whether `value` can be sent as a header value (RFC 9110 §5.5: visible characters, spaces,
    /// tabs and obs-text; no CR, LF, NUL or other controls).
    static func isFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { byte in byte >= 0x20 ? byte != 0x7F : byte == 0x09 }
    }

    /// The headers to send the client for an upstream response.
    static func clientHeaders(from upstream: HTTPHeaders) -> HTTPHeaders {
        var headers = upstream
        Self.removeHopByHop(&headers)
        return headers
    }

    /// Removes the hop-by-hop headers and every header the `Connection` header names.
    private static func removeHopByHop(_ headers: inout HTTPHeaders) {
        if headers.contains(name: "connection") {
            for value in headers["connection"] {
                for token in value.split(separator: ",") {
                    let name = token.trimmingSpaces()
                    if !name.isEmpty { headers.remove(name: String(name)) }
                }
            }
        }
        for name in Self.hopByHop where headers.contains(name: name) {
            headers.remove(name: name)
        }
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
