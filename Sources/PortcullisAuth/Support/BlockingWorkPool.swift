import NIOCore
import NIOPosix
import Synchronization

/// A small thread pool for CPU-bound or blocking work (bcrypt), with a bound on queued jobs.
///
/// Work never runs on NIO event loops or Swift's cooperative pool. When more than ``maximumQueued``
/// jobs wait, new ones are refused at once, so a flood of unique credentials turns into fast
/// `503`s instead of unbounded memory and latency.
public final class BlockingWorkPool: Sendable {
    private let pool: NIOThreadPool
    private let queued = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    /// The most jobs waiting or running at once.
    public let maximumQueued: Int

    /// A process-wide pool with one thread per core, started on first use.
    public static let shared = BlockingWorkPool(threads: System.coreCount, maximumQueued: 1024)

    public init(threads: Int, maximumQueued: Int) {
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.pool.start()
        self.maximumQueued = maximumQueued
    }

    /// Runs `work` on a pool thread, or returns `nil` when the queue is full.
    public func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value? {
        let waiting = self.queued.add(1, ordering: .relaxed).newValue
        defer { self.queued.subtract(1, ordering: .relaxed) }
        guard waiting <= self.maximumQueued else { return nil }
        let value = try? await self.pool.runIfActive(work)
        self.completed.add(1, ordering: .relaxed)
        return value
    }

    /// Stops the threads once the jobs already queued have run; later jobs return `nil`.
    public func shutdown() async {
        try? await self.pool.shutdownGracefully()
    }

    /// Jobs run to completion since the pool started.
    public var completedJobs: Int { self.completed.load(ordering: .relaxed) }
}
