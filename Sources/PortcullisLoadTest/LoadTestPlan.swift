import NIOCore
import NIOHPACK

/// What a load test does: the target, the load model, the credential classes.
public struct LoadTestPlan: Sendable {
    /// How requests are issued.
    public enum Model: Sendable, Equatable {
        /// Each connection sends its next request when the previous answer has arrived: the most
        /// the target does.
        case closedLoop
        /// Requests on a schedule (a constant rate or a ramp), each measured from its intended
        /// send time (coordinated omission corrected), whether or not a connection was free then.
        case openLoop(RateSchedule)

        /// Requests at a constant rate (per second).
        public static func constantRate(_ rate: Double) -> Model { .openLoop(RateSchedule(rate: rate)) }

        /// The schedule, for an open loop.
        public var schedule: RateSchedule? {
            if case .openLoop(let schedule) = self { return schedule }
            return nil
        }
    }

    public var target: LoadTestTarget
    public var model: Model
    /// Connections kept open to the target.
    public var connections: Int
    /// Event-loop threads driving them.
    public var threads: Int
    /// Measured time.
    public var duration: TimeAmount
    /// Time before the measured time whose requests count nowhere.
    public var warmup: TimeAmount
    /// A request unanswered this long counts as timed out, and its connection is replaced.
    public var timeout: TimeAmount
    /// The credential classes, sharing the requests by their weights; at least one.
    public var classes: [RequestClass]
    /// Measured requests after which the run ends (when they are answered), if it does not
    /// end at `duration` first.
    public var requestLimit: Int?
    /// How the connections speak: HTTP/1.1 in clear or over TLS.
    public var transport: LoadTestTransport
    /// How often a ``LoadTestProgress`` is reported while the run goes on.
    public var progressInterval: TimeAmount

    public init(
        target: LoadTestTarget,
        model: Model = .closedLoop,
        connections: Int = 64,
        threads: Int = 1,
        duration: TimeAmount = .seconds(10),
        warmup: TimeAmount = .zero,
        timeout: TimeAmount = .seconds(10),
        classes: [RequestClass] = [RequestClass(name: "default")],
        requestLimit: Int? = nil,
        transport: LoadTestTransport = .cleartext,
        progressInterval: TimeAmount = .seconds(1)
    ) {
        self.target = target
        self.model = model
        self.connections = connections
        self.threads = threads
        self.duration = duration
        self.warmup = warmup
        self.timeout = timeout
        self.classes = classes.isEmpty ? [RequestClass(name: "default")] : classes
        self.requestLimit = requestLimit
        self.transport = transport
        self.progressInterval = progressInterval
    }
}

/// An `http://` or `https://` URL to load.
public struct LoadTestTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The request target: path and query.
    public var path: String
    /// Whether the URL is `https://`.
    public var secure: Bool

    /// Why a URL cannot be a target.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case unsupportedScheme(String)
        case malformed(String)

        public var description: String {
            switch self {
            case .unsupportedScheme(let url): "\(url): only http:// and https:// targets are supported"
            case .malformed(let url): "\(url): not an http(s)://host[:port]/path URL"
            }
        }
    }

    public init(host: String, port: Int, path: String, secure: Bool = false) {
        self.host = host
        self.port = port
        self.path = path
        self.secure = secure
    }

    public init(url: String) throws(ParseError) {
        let secure: Bool
        let rest: Substring
        if url.hasPrefix("http://") {
            secure = false
            rest = url.dropFirst("http://".count)
        } else if url.hasPrefix("https://") {
            secure = true
            rest = url.dropFirst("https://".count)
        } else {
            throw url.contains("://") ? .unsupportedScheme(url) : .malformed(url)
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        var host = String(authority)
        var port = secure ? 443 : 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let parsed = Int(authority[authority.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw .malformed(url)
            }
            port = parsed
            host = String(authority[..<colon])
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw .malformed(url) }
        self.init(host: host, port: port, path: path, secure: secure)
    }

    /// The `Host` header value (`:authority` in HTTP/2).
    var authority: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == (self.secure ? 443 : 80) ? host : "\(host):\(self.port)"
    }
}

/// One kind of request, with its own histograms: a name, the headers that make it (its
/// credentials), and the status its answers must have.
public struct RequestClass: Sendable, Equatable {
    /// What a class's answers must be.
    public enum Expectation: Sendable, Equatable, CustomStringConvertible {
        /// Any 2xx.
        case success
        case status(Int)

        func accepts(_ status: Int) -> Bool {
            switch self {
            case .success: (200..<300).contains(status)
            case .status(let expected): status == expected
            }
        }

        public var description: String {
            switch self {
            case .success: "2xx"
            case .status(let code): String(code)
            }
        }
    }

    public var name: String
    /// Header fields besides `Host` and `User-Agent`, e.g. `("authorization", "Basic ...")`.
    public var headers: [(String, String)]
    /// Credentials the class's requests take in turn, each added to `headers` (e.g. distinct
    /// tokens, so that a run measures cache misses); empty: `headers` alone. The event loops
    /// share them out, so a credential is sent from one loop only and its first use is the one
    /// miss it causes.
    public var variants: [[(String, String)]]
    public var expectation: Expectation
    /// The class's share of the requests, relative to the other classes' weights (at least 1).
    public var weight: Int

    public init(
        name: String,
        headers: [(String, String)] = [],
        variants: [[(String, String)]] = [],
        expectation: Expectation = .success,
        weight: Int = 1
    ) {
        self.name = name
        self.headers = headers
        self.variants = variants
        self.expectation = expectation
        self.weight = max(weight, 1)
    }

    public static func == (lhs: RequestClass, rhs: RequestClass) -> Bool {
        func lines(_ fields: [(String, String)]) -> [String] { fields.map { "\($0.0): \($0.1)" } }
        return lhs.name == rhs.name && lhs.expectation == rhs.expectation && lhs.weight == rhs.weight
            && lines(lhs.headers) == lines(rhs.headers) && lhs.variants.map(lines) == rhs.variants.map(lines)
    }

    /// One turn of class indices in which each class appears `weight` times, spread out
    /// (smooth weighted round robin, as nginx balances upstreams): a 50/40/10 mix never sends
    /// ten requests of one class in a row.
    static func rotation(_ classes: [RequestClass]) -> [Int] {
        let total = classes.reduce(0) { $0 + $1.weight }
        var current = Array(repeating: 0, count: classes.count)
        var rotation: [Int] = []
        rotation.reserveCapacity(total)
        for _ in 0..<total {
            for index in classes.indices { current[index] += classes[index].weight }
            let chosen = current.indices.max { current[$0] < current[$1] } ?? 0
            current[chosen] -= total
            rotation.append(chosen)
        }
        return rotation
    }

    /// Whether `loops` event loops each send their own share of the variants (there are enough to
    /// go round); otherwise every loop sends every credential of the class.
    func sharesOutVariants(among loops: Int) -> Bool {
        self.variants.count >= loops
    }

    /// The variants one of `loops` event loops sends (every `loops`-th from `loop`, when
    /// there are enough to go round), or the headers alone.
    func variants(forLoop loop: Int, of loops: Int) -> [[(String, String)]] {
        guard !self.variants.isEmpty else { return [[]] }
        guard self.sharesOutVariants(among: loops) else { return self.variants }
        return stride(from: loop, to: self.variants.count, by: loops).map { self.variants[$0] }
    }

    /// The request with `extra` fields as `transport` sends it, built once.
    func request(for target: LoadTestTarget, extra: [(String, String)], transport: LoadTestTransport) -> LoadRequest {
        guard transport.http2Streams != nil else { return .http1(self.request(for: target, extra: extra)) }
        var headers: HPACKHeaders = [
            ":method": "GET", ":scheme": target.secure ? "https" : "http", ":authority": target.authority, ":path": target.path,
            "user-agent": "portcullis-loadtest",
        ]
        for (name, value) in self.headers + extra {
            // HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
            headers.add(name: name.lowercased(), value: value)
        }
        return .http2(headers)
    }

    /// The HTTP/1.1 request's bytes with `extra` fields, built once.
    func request(for target: LoadTestTarget, extra: [(String, String)]) -> ByteBuffer {
        var bytes = ByteBuffer()
        bytes.writeString("GET \(target.path) HTTP/1.1\r\nhost: \(target.authority)\r\nuser-agent: portcullis-loadtest\r\n")
        for (name, value) in self.headers + extra {
            bytes.writeString("\(name): \(value)\r\n")
        }
        bytes.writeString("\r\n")
        return bytes
    }
}
