import NIOCore
import PortcullisMetrics
import PropertyBased
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

    @Test("property: over any sequence of inserts, lookups, removals and clock steps, a lookup never returns an expired or superseded value, and the count never passes the capacity")
    func neverExpiredOrStale() async {
        // Each UInt32 is one step: the operation, the key, a lifetime and how far the clock moves.
        await propertyCheck(count: 300, input: Gen.uint32().array(of: 1...300), Gen.int(in: 1...8), Gen.int(in: 1...4)) { steps, capacity, shards in
            let cache = BoundedCache<Int, Int>(capacity: capacity, shardCount: shards, metrics: .unregistered())
            var model: [Int: (value: Int, expiresAt: NIODeadline)] = [:]
            var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
            for (index, step) in steps.enumerated() {
                let key = Int(step >> 2 & 15)
                let lifetime = TimeAmount.milliseconds(Int64(step >> 6 & 2047))
                switch step & 3 {
                case 0, 1:
                    cache.insert(index, for: key, expiresAt: now + lifetime, now: now)
                    if lifetime > .zero { model[key] = (index, now + lifetime) }
                case 2:
                    if let value = cache.value(for: key, now: now) {
                        let latest = model[key]
                        #expect(value == latest?.value, "key \(key): \(value) is not the latest value \(String(describing: latest))")
                        #expect(latest.map { now < $0.expiresAt } == true, "key \(key): returned at or past its expiry")
                    }
                default:
                    cache.remove(key)
                    model[key] = nil
                    #expect(cache.value(for: key, now: now) == nil)
                }
                #expect(cache.entryCount <= capacity, "entries \(cache.entryCount) over capacity \(capacity) in \(shards) shards")
                now = now + .milliseconds(Int64(step >> 17 & 511))
            }
        }
    }

    @Test("property: the bytes estimate counts each held entry's footprint once, through replacements, evictions, removals and expiries")
    func bytesEstimate() async {
        await propertyCheck(count: 200, input: Gen.uint32().array(of: 1...300), Gen.int(in: 1...8), Gen.int(in: 1...4)) { steps, capacity, shards in
            // Twin caches under the same steps: one counts 1000 bytes per entry, one nothing, so
            // their estimates differ by exactly 1000 per entry held; the tables are the same.
            let counted = BoundedCache<Int, Int>(capacity: capacity, shardCount: shards, metrics: .unregistered(), footprint: { _, _ in 1000 })
            let plain = BoundedCache<Int, Int>(capacity: capacity, shardCount: shards, metrics: .unregistered())
            var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
            for (index, step) in steps.enumerated() {
                let key = Int(step >> 2 & 15)
                let lifetime = TimeAmount.milliseconds(Int64(step >> 6 & 2047))
                for cache in [counted, plain] {
                    switch step & 3 {
                    case 0, 1: cache.insert(index, for: key, expiresAt: now + lifetime, now: now)
                    case 2: _ = cache.value(for: key, now: now)
                    default: cache.remove(key)
                    }
                }
                #expect(counted.entryCount == plain.entryCount)
                #expect(counted.estimatedBytes - plain.estimatedBytes == 1000 * counted.entryCount, "step \(index)")
                #expect(plain.estimatedBytes >= 0)
                if plain.entryCount > 0 { #expect(plain.estimatedBytes > 0, "tables are counted") }
                now = now + .milliseconds(Int64(step >> 17 & 511))
            }
        }
    }

    @Test("the bytes estimate of cached principals: their strings beyond 15 bytes and their scope arrays")
    func principalFootprint() {
        let short = Principal(subject: "bob", scopes: [], method: .jwt)
        #expect(HeapFootprint.principal(short) == 0)
        let long = Principal(subject: String(repeating: "s", count: 40), scopes: ["read", String(repeating: "w", count: 20)], method: .jwt)
        // subject: 32 + 40 + 1 → a 96-byte block; scopes: 32 + 2 × 16 → 80; the long scope: 32 + 21 → 64.
        #expect(HeapFootprint.principal(long) == 96 + 80 + 64)
    }
}
