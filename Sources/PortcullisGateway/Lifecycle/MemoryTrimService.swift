#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Every few seconds, sums the loops' live connections and their peaks since the last look (a
/// burst that opened and closed between two looks counts) and, when ``MemoryTrimPolicy`` says a burst
/// has ended, calls glibc's `malloc_trim(0)` on a pool thread (never on an event loop): freed heap
/// pages go back to the kernel instead of staying resident at the burst's peak.
///
/// Without glibc (`malloc_trim` not found) it does nothing.
struct MemoryTrimService: Service {
    /// How often the connection counts are looked at.
    static let interval: Duration = .seconds(5)

    let loops: [LoopRuntime]
    let logger: Logger

    /// glibc's `malloc_trim`, looked up at run time (Swift's Glibc module does not declare it).
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    func run() async throws {
        guard let trim = Self.trim else { return }
        var policy = MemoryTrimPolicy()
        while true {
            do {
                // A graceful shutdown ends the wait at once: the group does not wait on a timer.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
            } catch {
                return
            }
            var live = 0
            var peak = 0
            for loop in self.loops {
                let current = loop.liveHandlers.load(ordering: .relaxed)
                live += current
                // The peak since the last look, then from the current count on. (Loops' peaks
                // may not coincide: their sum can only overstate the burst.)
                peak += loop.peakHandlers.exchange(current, ordering: .relaxed)
            }
            guard policy.shouldTrim(live: live, peak: peak) else { continue }
            let started = ContinuousClock.now
            let released = try await NIOThreadPool.singleton.runIfActive { trim(0) }
            self.logger.debug(
                "heap trimmed after a burst of connections ended",
                metadata: ["connections": "\(live)", "released": "\(released == 1)", "took": "\(ContinuousClock.now - started)"]
            )
        }
    }
}
