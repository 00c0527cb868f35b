/// A handle that records durations into one histogram series.
public struct DurationRecorder: Sendable {
    private let histogram: ShardedHistogram

    init(_ histogram: ShardedHistogram) {
        self.histogram = histogram
    }

    public func record(_ duration: Duration) {
        self.histogram.record(duration)
    }
}
