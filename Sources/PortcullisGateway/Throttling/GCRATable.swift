import NIOConcurrencyHelpers
import NIOCore

/// Rate limits per key by the generic cell rate algorithm: each key keeps one number, its
/// theoretical arrival time (TAT). An event at `now` conforms when `max(TAT, now) - now` is at most
/// `(burst - 1) × interval`, and moves the TAT on by one `interval`: `burst` events at once, then
/// one per `interval`. A key whose TAT has passed is the same as a key never seen, so entries
/// expire by themselves and a full table drops them first.
///
/// Sharded by key hash, each shard under its own lock: the lock is taken for a few dictionary
/// operations, only on requests to throttled routes, and loops rarely meet on one shard.
final class GCRATable<Key: Hashable & Sendable>: Sendable {
    static var shardCount: Int { 16 }

    /// Nanoseconds between events once the burst is spent.
    let interval: Int64
    /// How far ahead of `now` the TAT may be for an event to conform.
    let tolerance: Int64
    private let shardCapacity: Int
    private let shards: [NIOLockedValueBox<[Key: Int64]>]

    /// - Parameters:
    ///   - interval: time between events after the burst.
    ///   - burst: events allowed at once.
    ///   - capacity: keys tracked at most (beyond it, keys whose limit has refilled go first, then
    ///     any: memory stays bounded and the limit fails open for the keys dropped).
    init(interval: TimeAmount, burst: Int, capacity: Int) {
        self.interval = max(1, interval.nanoseconds)
        self.tolerance = self.interval * Int64(max(0, burst - 1))
        self.shardCapacity = max(1, capacity / Self.shardCount)
        self.shards = (0..<Self.shardCount).map { _ in NIOLockedValueBox([:]) }
    }

    private func shard(_ key: Key) -> NIOLockedValueBox<[Key: Int64]> {
        self.shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
    }

    /// `nil` when one more event for `key` would conform now, else how long until it would.
    func wait(_ key: Key, now: NIODeadline) -> TimeAmount? {
        let now = now.uptimeNanoseconds
        let tat = self.shard(key).withLockedValue { $0[key] } ?? 0
        return self.delay(tat: tat, now: Int64(now))
    }

    /// Records an event if it conforms (`nil`), else returns how long until one would.
    func take(_ key: Key, now: NIODeadline) -> TimeAmount? {
        let now = Int64(now.uptimeNanoseconds)
        return self.shard(key).withLockedValue { table in
            let tat = table[key] ?? 0
            if let delay = self.delay(tat: tat, now: now) { return delay }
            self.store(max(tat, now) + self.interval, for: key, now: now, in: &table)
            return nil
        }
    }

    /// Records an event whether it conforms or not (a failure that happened).
    func charge(_ key: Key, now: NIODeadline) {
        let now = Int64(now.uptimeNanoseconds)
        self.shard(key).withLockedValue { table in
            let tat = table[key] ?? 0
            // Never more than one burst ahead: a flood cannot push the wait beyond a full refill.
            let next = min(max(tat, now) + self.interval, now + self.tolerance + self.interval)
            self.store(next, for: key, now: now, in: &table)
        }
    }

    /// Forgets `key`: its next events have the whole burst again.
    func reset(_ key: Key) {
        _ = self.shard(key).withLockedValue { $0.removeValue(forKey: key) }
    }

    /// Keys tracked now (tests, metrics).
    var count: Int {
        self.shards.reduce(0) { $0 + $1.withLockedValue(\.count) }
    }

    private func delay(tat: Int64, now: Int64) -> TimeAmount? {
        let ahead = max(tat, now) - now
        return ahead <= self.tolerance ? nil : .nanoseconds(ahead - self.tolerance)
    }

    private func store(_ tat: Int64, for key: Key, now: Int64, in table: inout [Key: Int64]) {
        if table[key] == nil, table.count >= self.shardCapacity {
            // Refilled keys first (they hold nothing), then any one.
            table = table.filter { $0.value > now }
            if table.count >= self.shardCapacity, let victim = table.keys.first {
                table[victim] = nil
            }
        }
        table[key] = tat
    }
}
