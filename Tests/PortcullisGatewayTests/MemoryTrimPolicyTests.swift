import Testing

@testable import PortcullisGateway

/// When the heap is given back: after a burst of connections ended, never in steady traffic.
@Suite("Memory trim policy")
struct MemoryTrimPolicyTests {
    /// The policy's answers for the live counts, in order.
    static func answers(_ counts: [Int], policy: inout MemoryTrimPolicy) -> [Bool] {
        counts.map { policy.shouldTrim(live: $0) }
    }

    @Test("a burst of 10,000 connections that closes asks for one trim; steady or growing traffic none")
    func burst() {
        var policy = MemoryTrimPolicy()
        let answers = Self.answers([0, 50, 3000, 10_000, 9_990, 20, 0, 0], policy: &policy)
        // The trim comes once the burst is gone; the peak starts again from there.
        #expect(answers == [false, false, false, false, false, true, false, false])
        #expect(policy.peak == 20)
    }

    @Test("a burst that opened and closed between two looks is seen through its peak")
    func burstBetweenLooks() {
        var policy = MemoryTrimPolicy()
        let first = policy.shouldTrim(live: 0, peak: 0)
        // 10,000 connections came and went before the next look: only the peak shows them.
        let afterBurst = policy.shouldTrim(live: 0, peak: 10_000)
        let peakAfterTrim = policy.peak
        let quiet = policy.shouldTrim(live: 0, peak: 0)
        // A peak below the minimum drop asks for nothing.
        let small = policy.shouldTrim(live: 0, peak: 900)
        #expect(!first && afterBurst && !quiet && !small)
        #expect(peakAfterTrim == 0)
    }

    @Test("a drop below 1000 connections, or to more than half the peak, asks for nothing")
    func smallDrops() {
        var small = MemoryTrimPolicy()
        #expect(Self.answers([900, 0], policy: &small) == [false, false])
        var large = MemoryTrimPolicy()
        // 2000 of 5000 gone leaves 60% open; at 2500 half have gone.
        #expect(Self.answers([5000, 3000, 2500], policy: &large) == [false, false, true])
    }
}
