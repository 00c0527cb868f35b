/// When to give freed heap memory back to the kernel: after a burst of connections has ended.
///
/// glibc keeps memory freed by closed connections in its arenas, so without a trim the resident
/// size stays at a burst's peak for good (the memory budget issue measured +62 MiB kept after
/// 10,000 connections closed). A trim walks every arena under its lock, so it is asked for only
/// when at least ``minimumDrop`` connections, and at least half of the peak, have gone since the
/// last one: never while traffic is steady.
struct MemoryTrimPolicy: Sendable {
    /// The fewest connections that must have closed since the peak.
    static let minimumDrop = 1000

    /// The most connections seen since the last trim.
    private(set) var peak = 0

    /// Records the live connection count and the most seen since the last call (a burst that
    /// began and ended between two calls has its peak there); `true` when the heap should be
    /// trimmed now.
    mutating func shouldTrim(live: Int, peak: Int = 0) -> Bool {
        self.peak = max(self.peak, peak, live)
        guard self.peak - live >= Self.minimumDrop, live <= self.peak / 2 else { return false }
        self.peak = live
        return true
    }
}
