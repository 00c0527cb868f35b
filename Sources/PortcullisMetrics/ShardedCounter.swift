import Synchronization

/// A counter kept in one cell per ``ThreadShard`` and summed when scraped: incrementing it on
/// every event loop writes no cache line another loop writes (swift-prometheus' `Counter` is one
/// atomic for every thread).
final class ShardedCounter: Sendable {
    /// One shard's count, padded to 128 bytes so that two cells never share a cache line.
    private final class Cell: Sendable {
        let value = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let cells: [Cell] = (0..<ThreadShard.count).map { _ in Cell() }

    func increment() {
        self.cells[ThreadShard.current].value.add(1, ordering: .relaxed)
    }

    /// The sum over every shard.
    var value: Int {
        self.cells.reduce(0) { $0 + $1.value.load(ordering: .relaxed) }
    }
}
