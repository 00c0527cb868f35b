package import Prometheus

/// A handle that records durations into one histogram series.
public struct DurationRecorder: Sendable {
    private let histogram: DurationHistogram

    init(_ histogram: DurationHistogram) {
        self.histogram = histogram
    }

    public func record(_ duration: Duration) {
        self.histogram.record(duration)
    }
}
