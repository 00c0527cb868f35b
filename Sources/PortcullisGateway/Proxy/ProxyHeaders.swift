import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisHTTP1

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
        var authority: String?
        var forwardedFor = ""
        let dropsAuthorization = target.hideCredentials || authorization != nil
        // One pass over the received fields finds what goes, removed from the copy at once (a
        // `contains(name:)` per listed name was ~4% of the proxy path; no list is built either).
        for (name, value) in inbound {
            switch Self.role(of: name) {
            case .kept:
                continue
            case .hopByHop, .identity, .forwarded:
                break
            case .connection:
                Self.removeNamedFields(value, from: &headers)
            case .host:
                if authority == nil { authority = value }
            case .forwardedFor:
                forwardedFor += forwardedFor.isEmpty ? value : ", " + value
            case .authorization:
                guard dropsAuthorization else { continue }
            }
            headers.remove(name: name)
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

    /// The headers to send the client for an upstream response: without the hop-by-hop headers
    /// and those `Connection` names. A response with none is passed on without a copy.
    static func clientHeaders(from upstream: HTTPHeaders) -> HTTPHeaders {
        var headers = upstream  // copied only at the first removal
        for (name, value) in upstream {
            switch Self.role(of: name) {
            case .hopByHop:
                headers.remove(name: name)
            case .connection:
                headers.remove(name: name)
                Self.removeNamedFields(value, from: &headers)
            default:
                continue
            }
        }
        return headers
    }

    /// What an HTTP/1 client is sent of an upstream response's fields: its field lines copied
    /// byte for byte, without the hop-by-hop fields and those the `Connection` fields name — the
    /// same fields ``clientHeaders(from:)`` keeps, with no string made per field.
    struct ClientFields {
        let head: HTTP1ResponseHead
        /// Names listed in the `Connection` fields besides `keep-alive` (hop-by-hop already);
        /// empty, so unallocated, for the usual `Connection: keep-alive`.
        private var named: [[UInt8]] = []

        init(_ head: HTTP1ResponseHead) {
            self.head = head
            var named: [[UInt8]] = []
            head.fields.forEachField { name, value, _ in
                guard ProxyHeaders.role(of: name) == .connection else { return }
                HTTP1Field.forEachListElement(value) { token in
                    if !HTTP1Field.name(token, is: "keep-alive") { named.append(Array(token)) }
                }
            }
            self.named = named
        }

        /// Whether the fields sent keep a `content-length`.
        var hasContentLength: Bool {
            guard self.head.hasContentLength else { return false }
            return !self.isNamed(UnsafeRawBufferPointer(start: ("content-length" as StaticString).utf8Start, count: 14))
        }

        /// Writes the kept field lines; without `content-length` when `strippingFraming`
        /// (`transfer-encoding` is hop-by-hop: never kept).
        func write(strippingFraming: Bool, into buffer: inout ByteBuffer) {
            self.head.fields.forEachField { name, _, line in
                switch ProxyHeaders.role(of: name) {
                case .hopByHop, .connection:
                    return
                default:
                    break
                }
                if strippingFraming && HTTP1Field.name(name, is: "content-length") { return }
                if !self.named.isEmpty && self.isNamed(name) { return }
                buffer.writeBytes(line)
            }
        }

        private func isNamed(_ name: UnsafeRawBufferPointer) -> Bool {
            self.named.contains { token in token.withUnsafeBytes { HTTP1Field.name(name, equals: $0) } }
        }
    }

    /// What the gateway does with a field, by name (``hopByHop``, ``identity`` and ``forwarded``
    /// list the names; the tests hold ``role(of:)`` to them).
    enum Role: Equatable {
        case kept
        case hopByHop
        case connection
        case identity
        case forwarded
        case host
        case forwardedFor
        case authorization
    }

    /// The role of `name`, compared without case; by length first, so most names cost one switch.
    static func role(of name: String) -> Role {
        var name = name
        return name.withUTF8 { Self.role(of: UnsafeRawBufferPointer($0)) }
    }

    /// The role of the field name `name` (bytes).
    static func role(of name: UnsafeRawBufferPointer) -> Role {
        let equals: (UnsafeRawBufferPointer, StaticString) -> Bool = { HTTP1Field.name($0, is: $1) }
        switch name.count {
        case 2: return equals(name, "te") ? .hopByHop : .kept
        case 4: return equals(name, "host") ? .host : .kept
        case 6: return equals(name, "expect") ? .hopByHop : .kept
        case 7: return equals(name, "trailer") || equals(name, "upgrade") ? .hopByHop : .kept
        case 10:
            if equals(name, "connection") { return .connection }
            return equals(name, "keep-alive") ? .hopByHop : .kept
        case 13:
            if equals(name, "authorization") { return .authorization }
            if equals(name, "x-auth-scopes") || equals(name, "x-auth-method") { return .identity }
            return .kept
        case 14: return equals(name, "x-auth-subject") ? .identity : .kept
        case 15: return equals(name, "x-forwarded-for") ? .forwardedFor : .kept
        case 16:
            if equals(name, "proxy-connection") { return .hopByHop }
            return equals(name, "x-forwarded-host") ? .forwarded : .kept
        case 17:
            if equals(name, "transfer-encoding") { return .hopByHop }
            return equals(name, "x-forwarded-proto") ? .forwarded : .kept
        case 18: return equals(name, "proxy-authenticate") ? .hopByHop : .kept
        case 19: return equals(name, "proxy-authorization") ? .hopByHop : .kept
        case 23: return equals(name, "x-forwarded-client-cert") ? .identity : .kept
        default: return .kept
        }
    }

    /// Removes the fields a `Connection` value names.
    private static func removeNamedFields(_ value: String, from headers: inout HTTPHeaders) {
        for token in value.split(separator: ",") {
            let name = token.trimmingSpaces()
            if !name.isEmpty { headers.remove(name: String(name)) }
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (optional whitespace, RFC 9110 §5.6.3).
    func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) }) else {
            return self[self.endIndex...]
        }
        return self[first...last]
    }
}
