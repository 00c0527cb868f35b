import NIOCore

/// What a load test does: the target, the load model, the credential classes.
public struct LoadTestPlan: Sendable {
    /// How requests are issued.
    public enum Model: Sendable, Equatable {
        /// Each connection sends its next request when the previous answer has arrived: the most
        /// the target does.
        case closedLoop
        /// Requests at a constant rate (per second), each measured from its intended send time
        /// (coordinated omission corrected), whether or not a connection was free then.
        case constantRate(Double)
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

    public init(
        target: LoadTestTarget,
        model: Model = .closedLoop,
        connections: Int = 64,
        threads: Int = 1,
        duration: TimeAmount = .seconds(10),
        warmup: TimeAmount = .zero,
        timeout: TimeAmount = .seconds(10),
        classes: [RequestClass] = [RequestClass(name: "default")]
    ) {
        self.target = target
        self.model = model
        self.connections = connections
        self.threads = threads
        self.duration = duration
        self.warmup = warmup
        self.timeout = timeout
        self.classes = classes.isEmpty ? [RequestClass(name: "default")] : classes
    }
}

/// An `http://` URL to load.
public struct LoadTestTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The request target: path and query.
    public var path: String

    /// Why a URL cannot be a target.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case unsupportedScheme(String)
        case malformed(String)

        public var description: String {
            switch self {
            case .unsupportedScheme(let url): "\(url): only http:// targets are supported so far"
            case .malformed(let url): "\(url): not an http://host[:port]/path URL"
            }
        }
    }

    public init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    public init(url: String) throws(ParseError) {
        guard url.hasPrefix("http://") else {
            throw url.hasPrefix("https://") ? .unsupportedScheme(url) : .malformed(url)
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        var host = String(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let parsed = Int(authority[authority.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw .malformed(url)
            }
            port = parsed
            host = String(authority[..<colon])
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw .malformed(url) }
        self.init(host: host, port: port, path: path)
    }

    /// The `Host` header value.
    var authority: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == 80 ? host : "\(host):\(self.port)"
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
    public var expectation: Expectation
    /// The class's share of the requests, relative to the other classes' weights (at least 1).
    public var weight: Int

    public init(name: String, headers: [(String, String)] = [], expectation: Expectation = .success, weight: Int = 1) {
        self.name = name
        self.headers = headers
        self.expectation = expectation
        self.weight = max(weight, 1)
    }

    public static func == (lhs: RequestClass, rhs: RequestClass) -> Bool {
        lhs.name == rhs.name && lhs.expectation == rhs.expectation && lhs.weight == rhs.weight
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
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

    /// The request's bytes, built once.
    func request(for target: LoadTestTarget) -> ByteBuffer {
        var bytes = ByteBuffer()
        bytes.writeString("GET \(target.path) HTTP/1.1\r\nhost: \(target.authority)\r\nuser-agent: portcullis-loadtest\r\n")
        for (name, value) in self.headers {
            bytes.writeString("\(name): \(value)\r\n")
        }
        bytes.writeString("\r\n")
        return bytes
    }
}
