import NIOConcurrencyHelpers
import Testing

@testable import PortcullisAuth

/// SingleFlight alone: concurrent callers for one key share one run; later callers start a new one.
@Suite("Single flight")
struct SingleFlightTests {
    final class Counter: Sendable {
        let runs = NIOLockedValueBox(0)
    }

    @Test("100 concurrent callers for one key: one run, every caller gets its value; other keys run apart")
    func sharesOneRun() async throws {
        let flight = SingleFlight<String, Int>()
        let counter = Counter()
        let (release, releaseSink) = AsyncStream.makeStream(of: Void.self)
        let results = await withTaskGroup(of: Int.self, returning: [Int].self) { group in
            for _ in 0..<100 {
                group.addTask {
                    await flight.run("token") {
                        counter.runs.withLockedValue { $0 += 1 }
                        for await _ in release { break }  // held until every caller has joined
                        return 42
                    }
                }
            }
            group.addTask { await flight.run("other") { 7 } }
            // Release the leader once the 99 others wait for it and the other key has finished.
            while flight.followerCount != 99 || flight.runningCount != 1 { await Task.yield() }
            releaseSink.yield()
            releaseSink.finish()
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counter.runs.withLockedValue { $0 } == 1)
        #expect(results.filter { $0 == 42 }.count == 100)
        #expect(results.contains(7))
        #expect(flight.runningCount == 0)
        // A caller after the run finished starts a new one.
        #expect(await flight.run("token") { counter.runs.withLockedValue { $0 += 1 }; return 1 } == 1)
        #expect(counter.runs.withLockedValue { $0 } == 2)
    }
}
