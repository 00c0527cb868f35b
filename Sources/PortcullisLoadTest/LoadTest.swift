import NIOCore
import NIOPosix

/// Runs a ``LoadTestPlan``: opens the connections over `threads` event loops, runs the schedule
/// on each loop, and merges what they measured.
public enum LoadTest {
    public static func run(_ plan: LoadTestPlan) async throws -> LoadTestReport {
        let threads = max(1, min(plan.threads, plan.connections))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        do {
            let report = try await Self.run(plan, threads: threads, on: group)
            try? await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func run(_ plan: LoadTestPlan, threads: Int, on group: MultiThreadedEventLoopGroup) async throws -> LoadTestReport {
        let loops = Array(group.makeIterator())
        var drivers: [LoopDriver] = []
        for (index, loop) in loops.enumerated() {
            let connections = plan.connections / threads + (index < plan.connections % threads ? 1 : 0)
            let rate: Double?
            if case .constantRate(let total) = plan.model { rate = total / Double(threads) } else { rate = nil }
            drivers.append(LoopDriver(loop: loop, plan: plan, connections: connections, rate: rate))
        }
        for driver in drivers {
            try await driver.connect().get()
        }
        let start = Int64(NIODeadline.now().uptimeNanoseconds)
        var classes = Array(repeating: ClassStatistics(), count: plan.classes.count)
        var accounting = LoadTestAccounting()
        let results = drivers.map { $0.run(start: start) }
        for future in results {
            let result = try await future.get()
            for index in classes.indices { classes[index].add(result.classes[index]) }
            accounting.add(result.accounting)
        }
        return LoadTestReport(plan: plan, classes: classes, accounting: accounting)
    }
}
