import NIOCore
import PortcullisMetrics
import Testing

@testable import PortcullisAuth

@Suite("Bounded cache")
struct BoundedCacheTests {
    @Test("never holds more than its capacity, evicting the oldest first")
    func capacity() {
        let cache = BoundedCache<Int, String>(capacity: 4, shardCount: 1, metrics: .unregistered())
        let now = NIODeadline.uptimeNanoseconds(1_000)
        let later = now + .seconds(60)
        for key in 0..<10 {
            cache.insert("v\(key)", for: key, expiresAt: later, now: now)
            #expect(cache.entryCount <= 4)
        }
        #expect(cache.value(for: 5, now: now) == nil)
        #expect(cache.value(for: 6, now: now) == "v6")
        #expect(cache.value(for: 9, now: now) == "v9")
    }

    @Test("never returns an entry at or past its expiry")
    func expiry() {
        let cache = BoundedCache<Int, String>(capacity: 4, metrics: .unregistered())
        let now = NIODeadline.uptimeNanoseconds(1_000_000)
        cache.insert("a", for: 1, expiresAt: now + .seconds(1), now: now)
        #expect(cache.value(for: 1, now: now) == "a")
        #expect(cache.value(for: 1, now: now + .seconds(1)) == nil)
        #expect(cache.entryCount == 0)
        cache.insert("b", for: 2, expiresAt: now, now: now)
        #expect(cache.value(for: 2, now: now) == nil)
    }

    @Test("replacing a key keeps one entry; removing frees it")
    func replaceAndRemove() {
        let cache = BoundedCache<Int, String>(capacity: 2, shardCount: 1, metrics: .unregistered())
        let now = NIODeadline.uptimeNanoseconds(1_000)
        for _ in 0..<100 {
            cache.insert("x", for: 1, expiresAt: now + .seconds(5), now: now)
        }
        #expect(cache.entryCount == 1)
        cache.remove(1)
        #expect(cache.entryCount == 0)
        #expect(cache.value(for: 1, now: now) == nil)
    }
}
