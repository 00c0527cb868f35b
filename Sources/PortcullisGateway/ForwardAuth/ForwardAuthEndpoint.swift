import NIOHTTP1
import PortcullisConfig
import PortcullisHTTP1

/// The decision endpoint of `[forwardAuth]`: tells a decision request from any other and names
/// the original request it asks about.
///
/// Two shapes, as the common proxies ask:
/// - at ``path``, the original request is named by headers: `X-Original-URI` (nginx
///   `auth_request` as usually configured), `X-Original-URL` (ingress-nginx, an absolute URL) or
///   `X-Forwarded-Uri` (Traefik ForwardAuth), and `X-Original-Method` or `X-Forwarded-Method`
///   (else the decision request's own method);
/// - below ``pathPrefix`` (Envoy's HTTP ext_authz), the original request is the decision request
///   itself, its path with the prefix taken off.
///
/// Fails closed: a header given twice, or two conventions that name different requests, are
/// refused rather than one of them believed. A proxy passes its client's headers on to the
/// decision request, so a client behind Traefik can add an `X-Original-URI` of its choosing and a
/// client behind nginx an `X-Forwarded-Uri`; the proxy's own header then disagrees with it.
struct ForwardAuthEndpoint: Sendable {
    /// The request a decision is asked about.
    struct Original: Sendable, Equatable {
        var method: String
        /// The request target in origin form (`/path?query`), as the client sent it.
        var target: String
    }

    /// Why a decision request does not name one original request.
    enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// None of the headers that name the original request.
        case noOriginalRequest
        /// A header that names the original request appears more than once.
        case repeated(String)
        /// Two headers name different requests.
        case conflicting(String, String)
        /// `X-Original-URL` is not an absolute `http` or `https` URL.
        case notAbsoluteURL
        /// The method header is not an HTTP method token.
        case invalidMethod(String)

        var description: String {
            switch self {
            case .noOriginalRequest: "none of x-original-uri, x-original-url, x-forwarded-uri"
            case .repeated(let name): "\(name) given more than once"
            case .conflicting(let first, let second): "\(first) and \(second) name different requests"
            case .notAbsoluteURL: "x-original-url is not an absolute http(s) URL"
            case .invalidMethod(let name): "\(name) is not an HTTP method"
            }
        }
    }

    enum Classification: Sendable, Equatable {
        /// Not a decision request: routed as usual.
        case notDecision
        case decision(Original)
        case invalid(Problem)
    }

    /// The headers that name the original request: three for the target, two for the method.
    private static let headerNames: [StaticString] = ["x-original-uri", "x-original-url", "x-forwarded-uri", "x-original-method", "x-forwarded-method"]
    private static let originalURLIndex = 1
    private static let methodHeadersStart = 3

    let path: String
    /// Without a trailing `/`.
    let pathPrefix: String?

    init(_ config: ForwardAuthConfig) {
        self.path = config.path
        self.pathPrefix = config.pathPrefix
    }

    /// Whether `head` asks for a decision, and about what. Costs a byte comparison of the target's
    /// start for any other request.
    func classify(_ head: HTTPRequestHead) -> Classification {
        let target = head.uri.utf8
        if Self.target(target, isPath: self.path.utf8) {
            return self.originalFromHeaders(head)
        }
        if let prefix = self.pathPrefix?.utf8, target.starts(with: prefix) {
            let rest = target.dropFirst(prefix.count)
            switch rest.first {
            case nil, UInt8(ascii: "?"):
                return .decision(Original(method: head.method.rawValue, target: "/" + String(Substring(rest))))
            case UInt8(ascii: "/"):
                return .decision(Original(method: head.method.rawValue, target: String(Substring(rest))))
            default:
                return .notDecision
            }
        }
        return .notDecision
    }

    /// `target` is `path`, with or without a query.
    private static func target(_ target: String.UTF8View, isPath path: String.UTF8View) -> Bool {
        guard target.starts(with: path) else { return false }
        let rest = target.dropFirst(path.count)
        return rest.first == nil || rest.first == UInt8(ascii: "?")
    }

    private func originalFromHeaders(_ head: HTTPRequestHead) -> Classification {
        // One pass over the fields into inline storage: no array per name (`headers[name]`
        // allocates one; the decision path had 13 allocations with them, 11 without).
        var values = InlineArray<5, String?>(repeating: nil)
        for (name, value) in head.headers {
            guard let index = Self.headerNames.firstIndex(where: { HTTP1Field.name(name, is: $0) }) else { continue }
            guard values[index] == nil else { return .invalid(.repeated(Self.name(index))) }
            values[index] = value
        }
        // Each convention given must agree with the first one given (by index into headerNames).
        var target: (header: Int, value: String)?
        var method: (header: Int, value: String)?
        for index in Self.headerNames.indices {
            guard var value = values[index] else { continue }
            if index >= Self.methodHeadersStart {
                guard Self.isMethodToken(value) else { return .invalid(.invalidMethod(Self.name(index))) }
                if let earlier = method {
                    guard earlier.value == value else { return .invalid(.conflicting(Self.name(earlier.header), Self.name(index))) }
                } else {
                    method = (index, value)
                }
                continue
            }
            if index == Self.originalURLIndex {
                guard let origin = Self.originForm(ofAbsoluteURL: value) else { return .invalid(.notAbsoluteURL) }
                value = origin
            }
            if let earlier = target {
                guard earlier.value == value else { return .invalid(.conflicting(Self.name(earlier.header), Self.name(index))) }
            } else {
                target = (index, value)
            }
        }
        guard let target else { return .invalid(.noOriginalRequest) }
        return .decision(Original(method: method?.value ?? head.method.rawValue, target: target.value))
    }

    /// The name of `headerNames[index]`, for a refusal's reason.
    private static func name(_ index: Int) -> String {
        Self.headerNames[index].description
    }

    /// `/path?query` of `http(s)://authority/path?query`; `/` when the URL has no path.
    static func originForm(ofAbsoluteURL url: String) -> String? {
        let utf8 = url.utf8
        let authorityStart: String.UTF8View.Index
        let lowered = url.prefix(8).lowercased()
        if lowered.hasPrefix("http://") {
            authorityStart = utf8.index(utf8.startIndex, offsetBy: 7)
        } else if lowered.hasPrefix("https://") {
            authorityStart = utf8.index(utf8.startIndex, offsetBy: 8)
        } else {
            return nil
        }
        let pathStart = utf8[authorityStart...].firstIndex { byte in
            byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
        } ?? utf8.endIndex
        guard pathStart != authorityStart else { return nil }  // no authority
        // A fragment is never part of a request target.
        let end = utf8[pathStart...].firstIndex(of: UInt8(ascii: "#")) ?? utf8.endIndex
        let rest = Substring(utf8[pathStart..<end])
        return rest.hasPrefix("/") ? String(rest) : "/" + rest
    }

    /// An RFC 9110 method token: `tchar`s only, at most 32 of them.
    static func isMethodToken(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 32 && value.utf8.allSatisfy(HTTP1Field.isTokenCharacter)
    }
}
