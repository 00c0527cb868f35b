import Histogram

/// What one credential class's answers measured: latency from the intended send time
/// (corrected) and from the actual send (uncorrected), in nanoseconds, and the corrected latency
/// of each status apart (a class's fast 401s or 503s never hide in its 200s' figures).
struct ClassStatistics: Sendable {
    var corrected = ClassStatistics.histogram()
    /// The uncorrected latencies, when they differ from the corrected ones.
    private var separateUncorrected: Histogram<UInt64>?
    /// Status → the corrected latencies of the answers with it, in the order the statuses first
    /// came: a class gets one or a few, so a scan finds one sooner than a hash would.
    private var statusHistograms: [(status: Int, histogram: Histogram<UInt64>)] = []

    /// - Parameter uncorrectedIsCorrected: every request leaves at its intended time (a closed
    ///   loop), so the two latencies are one: it is recorded once.
    init(uncorrectedIsCorrected: Bool = false) {
        self.separateUncorrected = uncorrectedIsCorrected ? nil : Self.histogram()
    }

    /// From each request's actual send.
    var uncorrected: Histogram<UInt64> { self.separateUncorrected ?? self.corrected }

    /// Status → the corrected latencies of the answers with it.
    var byStatus: [Int: Histogram<UInt64>] {
        Dictionary(self.statusHistograms.map { ($0.status, $0.histogram) }, uniquingKeysWith: { first, _ in first })
    }

    /// Status → answers.
    var statuses: [Int: Int] { self.byStatus.mapValues { Int($0.totalCount) } }

    /// Nanoseconds from 1 µs to 10 minutes, three significant digits (package-benchmark's precision).
    static func histogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
    }

    var count: Int { Int(self.corrected.totalCount) }

    /// Records one answer (`uncorrected` is ignored when it is the corrected latency by
    /// construction); `byStatus: false` leaves the per-status histograms out (an interval's
    /// figures, which need only the counts' total).
    mutating func record(status: Int, corrected: Int64, uncorrected: Int64, byStatus: Bool = true) {
        let corrected = UInt64(clamping: max(corrected, 1_000))
        if byStatus { self.recordStatus(status, corrected) }
        _ = self.corrected.record(corrected)
        // In place (optional chaining mutates the stored histogram, no copy).
        _ = self.separateUncorrected?.record(UInt64(clamping: max(uncorrected, 1_000)))
    }

    private mutating func recordStatus(_ status: Int, _ value: UInt64) {
        for index in self.statusHistograms.indices where self.statusHistograms[index].status == status {
            _ = self.statusHistograms[index].histogram.record(value)
            return
        }
        var histogram = Self.histogram()
        _ = histogram.record(value)
        self.statusHistograms.append((status, histogram))
    }

    mutating func add(_ other: ClassStatistics) {
        if self.separateUncorrected == nil, other.separateUncorrected != nil {
            // Figures kept apart join figures kept as one: this side's become apart too.
            self.separateUncorrected = self.corrected
        }
        self.corrected.add(other.corrected)
        self.separateUncorrected?.add(other.uncorrected)
        for (status, histogram) in other.statusHistograms {
            if let index = self.statusHistograms.firstIndex(where: { $0.status == status }) {
                self.statusHistograms[index].histogram.add(histogram)
            } else {
                self.statusHistograms.append((status, histogram))
            }
        }
    }
}

/// Every intended request ends in exactly one of these.
public struct LoadTestAccounting: Sendable, Equatable, Codable {
    public var intended = 0
    public var completed = 0
    public var errored = 0
    public var timedOut = 0
    public var inFlight = 0
    public var notSent = 0

    enum CodingKeys: String, CodingKey {
        case intended, completed, errored
        case timedOut = "timed_out"
        case inFlight = "in_flight"
        case notSent = "not_sent"
    }

    mutating func add(_ other: LoadTestAccounting) {
        self.intended += other.intended
        self.completed += other.completed
        self.errored += other.errored
        self.timedOut += other.timedOut
        self.inFlight += other.inFlight
        self.notSent += other.notSent
    }
}
