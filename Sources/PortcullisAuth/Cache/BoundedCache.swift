import DequeModule
import NIOConcurrencyHelpers
import NIOCore
import PortcullisMetrics
import Synchronization

/// A bounded, sharded cache whose entries expire.
///
/// Reads take one uncontended lock of one shard (no actor hop, no global lock). When a shard is
/// full, its oldest entry is evicted first (FIFO), after expired ones found on the way.
///
/// - Important: ``value(for:now:)`` never returns an entry at or past its expiry.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expiresAt: NIODeadline
    }

    private struct Shard {
        var entries: [Key: Entry] = [:]
        /// Insertion order; may hold keys already removed, skipped when popped.
        var order: Deque<Key> = []
        /// The most entries this shard holds; the shards' capacities add up to the cache's.
        let capacity: Int
    }

    private let shards: [NIOLockedValueBox<Shard>]
    private let shardOf: @Sendable (Key) -> Int
    private let count = Atomic<Int>(0)
    private let metrics: CacheMetrics

    /// The most entries the cache holds.
    public let capacity: Int

    /// - Parameters:
    ///   - capacity: the most entries held; at least 1.
    ///   - shardCount: independent locks; more shards, less contention.
    ///   - metrics: where hits, misses and the entry count are reported.
    ///   - shardOf: picks a shard for a key; defaults to the key's hash value.
    public init(
        capacity: Int,
        shardCount: Int = 16,
        metrics: CacheMetrics,
        shardOf: (@Sendable (Key) -> Int)? = nil
    ) {
        let shards = max(1, min(shardCount, capacity))
        self.capacity = max(1, capacity)
        // Shares that add up to the capacity exactly (rounding each up let a cache of 5 in 4
        // shards hold 8; found by the property test).
        let share = self.capacity / shards
        let remainder = self.capacity % shards
        self.shards = (0..<shards).map { index in NIOLockedValueBox(Shard(capacity: share + (index < remainder ? 1 : 0))) }
        self.metrics = metrics
        self.shardOf = shardOf ?? { key in Int(UInt(bitPattern: key.hashValue) % UInt(shards)) }
        metrics.setEntries(0)
    }

    private func shard(for key: Key) -> NIOLockedValueBox<Shard> {
        self.shards[self.shardOf(key) % self.shards.count]
    }

    /// The live value for `key`, counting a hit or a miss.
    public func value(for key: Key, now: NIODeadline = .now()) -> Value? {
        let value = self.peek(key, now: now)
        if value == nil {
            self.metrics.recordMiss()
        } else {
            self.metrics.recordHit()
        }
        return value
    }

    /// The live value for `key`, counting nothing: for a second look by a caller whose lookup
    /// was already counted (a miss that waited its turn for the work that fills the entry).
    public func peek(_ key: Key, now: NIODeadline = .now()) -> Value? {
        self.shard(for: key).withLockedValue { shard in
            guard let entry = shard.entries[key] else { return nil }
            if entry.expiresAt <= now {
                shard.entries[key] = nil
                self.count.subtract(1, ordering: .relaxed)
                return nil
            }
            return entry.value
        }
    }

    /// Stores `value` until `expiresAt`, evicting the oldest entries of a full shard.
    public func insert(_ value: Value, for key: Key, expiresAt: NIODeadline, now: NIODeadline = .now()) {
        guard expiresAt > now else { return }
        let delta: Int = self.shard(for: key).withLockedValue { shard in
            var delta = 0
            if shard.entries.updateValue(Entry(value: value, expiresAt: expiresAt), forKey: key) == nil {
                shard.order.append(key)
                delta += 1
            }
            while shard.entries.count > shard.capacity, let oldest = shard.order.popFirst() {
                if shard.entries.removeValue(forKey: oldest) != nil { delta -= 1 }
            }
            if shard.order.count > 2 * shard.capacity + 16 {
                shard.order = Deque(shard.order.filter { shard.entries[$0] != nil })
            }
            return delta
        }
        if delta != 0 {
            let total = self.count.add(delta, ordering: .relaxed).newValue
            self.metrics.setEntries(total)
        }
    }

    /// Removes the entry for `key`, if any.
    public func remove(_ key: Key) {
        let removed = self.shard(for: key).withLockedValue { $0.entries.removeValue(forKey: key) != nil }
        if removed {
            let total = self.count.subtract(1, ordering: .relaxed).newValue
            self.metrics.setEntries(total)
        }
    }

    /// The number of entries held, expired ones not yet swept included.
    public var entryCount: Int { self.count.load(ordering: .relaxed) }
}
