#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The shard a thread records into, for series recorded on every event loop.
///
/// Each thread is given an index the first time it asks, in turn, so the first ``count``
/// threads that record (in a gateway: its event loops, which record first and most) never share
/// a shard. A series recorded per shard then takes no lock and writes no cache line that another
/// loop writes; a scrape sums the shards.
enum ThreadShard {
    /// Shards per series: at least the event loops of the machines Portcullis runs on.
    static let count = 16

    private static let assigned = Atomic<Int>(0)

    /// The thread's index plus one, so that `nil` (0) means none given yet.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// This thread's shard, in `0..<count`.
    static var current: Int {
        let stored = Int(bitPattern: pthread_getspecific(Self.key))
        if stored != 0 { return stored - 1 }
        let index = Self.assigned.add(1, ordering: .relaxed).oldValue & (Self.count - 1)
        pthread_setspecific(Self.key, UnsafeRawPointer(bitPattern: index + 1))
        return index
    }
}
