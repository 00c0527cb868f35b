/// What the gateway counted during a run: the growth of its auth series between two scrapes of
/// its Prometheus exposition (`--metrics URL`), to set beside the classes' intended shares.
public struct MetricsDelta: Sendable, Equatable {
    /// The series compared: cache lookups, auth decisions, identity-provider calls.
    public static let families = ["portcullis_cache_lookups_total", "portcullis_auth_decisions_total", "portcullis_idp_requests_total"]

    /// Each series that grew (`name{labels}`) and by how much, in the exposition's order.
    public let grown: [(series: String, by: Double)]

    public init(before: String, after: String) {
        let earlier = Self.samples(before)
        var grown: [(String, Double)] = []
        for (series, value) in Self.orderedSamples(after) {
            let delta = value - (earlier[series] ?? 0)
            if delta != 0 { grown.append((series, delta)) }
        }
        self.grown = grown
    }

    public static func == (lhs: MetricsDelta, rhs: MetricsDelta) -> Bool {
        lhs.grown.map { "\($0.series) \($0.by)" } == rhs.grown.map { "\($0.series) \($0.by)" }
    }

    /// The lines to print: `series +delta`.
    public var lines: [String] {
        self.grown.map { series, delta in
            let amount = delta.rounded() == delta && abs(delta) < 1e15 ? String(Int64(delta)) : String(delta)
            return "\(series) \(delta > 0 ? "+" : "")\(amount)"
        }
    }

    private static func samples(_ text: String) -> [String: Double] {
        Dictionary(Self.orderedSamples(text), uniquingKeysWith: { _, last in last })
    }

    /// `name{labels} value` lines of the compared families; comments and other series skipped.
    private static func orderedSamples(_ text: String) -> [(String, Double)] {
        var samples: [(String, Double)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard Self.families.contains(where: { line.hasPrefix($0 + "{") || line.hasPrefix($0 + " ") }),
                let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
            else { continue }
            samples.append((String(line[..<space]), value))
        }
        return samples
    }
}
