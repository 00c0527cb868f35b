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
    /// The estimate of the bytes held (``estimatedBytes``).
    private let bytes = Atomic<Int>(0)
    private let footprint: @Sendable (Key, Value) -> Int
    private let metrics: CacheMetrics

    /// The most entries the cache holds.
    public let capacity: Int

    /// - Parameters:
    ///   - capacity: the most entries held; at least 1.
    ///   - shardCount: independent locks; more shards, less contention.
    ///   - metrics: where hits, misses and the entry count are reported.
    ///   - shardOf: picks a shard for a key; defaults to the key's hash value.
    ///   - footprint: the heap bytes an entry's key and value hold besides their inline size,
    ///     for ``estimatedBytes``; none by default.
    public init(
        capacity: Int,
        shardCount: Int = 16,
        metrics: CacheMetrics,
        shardOf: (@Sendable (Key) -> Int)? = nil,
        footprint: @escaping @Sendable (Key, Value) -> Int = { _, _ in 0 }
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
        self.footprint = footprint
        metrics.setEntries(0)
        metrics.setBytes(0)
    }

    /// The bytes a shard's tables take: the dictionary's block, and the insertion order (a ring
    /// of keys; its unused slots are not counted).
    private static func tableBytes(_ shard: Shard) -> Int {
        HeapFootprint.table(capacity: shard.entries.capacity, keyStride: MemoryLayout<Key>.stride, valueStride: MemoryLayout<Entry>.stride)
            + shard.order.count * MemoryLayout<Key>.stride
    }

    /// Applies a change of entries and bytes to the totals and the gauges.
    private func record(entries: Int, bytes: Int) {
        if entries != 0 {
            let total = self.count.add(entries, ordering: .relaxed).newValue
            self.metrics.setEntries(total)
        }
        if bytes != 0 {
            let total = self.bytes.add(bytes, ordering: .relaxed).newValue
            self.metrics.setBytes(total)
        }
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
        let (value, expiredBytes): (Value?, Int?) = self.shard(for: key).withLockedValue { shard in
            guard let entry = shard.entries[key] else { return (nil, nil) }
            if entry.expiresAt <= now {
                shard.entries[key] = nil
                return (nil, self.footprint(key, entry.value))
            }
            return (entry.value, nil)
        }
        if let expiredBytes { self.record(entries: -1, bytes: -expiredBytes) }
        return value
    }

    /// Stores `value` until `expiresAt`, evicting the oldest entries of a full shard.
    public func insert(_ value: Value, for key: Key, expiresAt: NIODeadline, now: NIODeadline = .now()) {
        guard expiresAt > now else { return }
        let (entries, bytes): (Int, Int) = self.shard(for: key).withLockedValue { shard in
            var entries = 0
            var bytes = self.footprint(key, value) - Self.tableBytes(shard)
            if let replaced = shard.entries.updateValue(Entry(value: value, expiresAt: expiresAt), forKey: key) {
                bytes -= self.footprint(key, replaced.value)
            } else {
                shard.order.append(key)
                entries += 1
            }
            while shard.entries.count > shard.capacity, let oldest = shard.order.popFirst() {
                if let evicted = shard.entries.removeValue(forKey: oldest) {
                    entries -= 1
                    bytes -= self.footprint(oldest, evicted.value)
                }
            }
            if shard.order.count > 2 * shard.capacity + 16 {
                shard.order = Deque(shard.order.filter { shard.entries[$0] != nil })
            }
            bytes += Self.tableBytes(shard)
            return (entries, bytes)
        }
        self.record(entries: entries, bytes: bytes)
    }

    /// Removes the entry for `key`, if any.
    public func remove(_ key: Key) {
        let bytes: Int? = self.shard(for: key).withLockedValue { shard in
            shard.entries.removeValue(forKey: key).map { -self.footprint(key, $0.value) }
        }
        if let bytes { self.record(entries: -1, bytes: bytes) }
    }

    /// The number of entries held, expired ones not yet swept included.
    public var entryCount: Int { self.count.load(ordering: .relaxed) }

    /// An estimate of the heap bytes the cache holds: its tables (the dictionaries' blocks, the
    /// insertion order) and what the entries' keys and values hold (``init``'s `footprint`).
    /// Reported as `portcullis_cache_bytes{cache}`.
    public var estimatedBytes: Int { self.bytes.load(ordering: .relaxed) }
}
