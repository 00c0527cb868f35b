import Synchronization

/// A duration histogram kept in one set of counts per ``ThreadShard``, each behind a lock only its
/// own thread and a scrape take; summed when scraped. swift-prometheus' `DurationHistogram` takes
/// one lock shared by every thread on each observation.
final class ShardedHistogram: Sendable {
    private final class Cell: Sendable {
        let counts = Mutex(ServiceMetrics.HistogramCounts())
    }

    private let cells: [Cell] = (0..<ThreadShard.count).map { _ in Cell() }

    func record(_ duration: Duration) {
        let nanoseconds = ServiceMetrics.nanoseconds(duration)
        self.cells[ThreadShard.current].counts.withLock { $0.record(nanoseconds: nanoseconds) }
    }

    /// The sum over every shard.
    func snapshot() -> ServiceMetrics.HistogramCounts {
        var total = ServiceMetrics.HistogramCounts()
        for cell in self.cells {
            cell.counts.withLock { total.add($0) }
        }
        return total
    }
}
