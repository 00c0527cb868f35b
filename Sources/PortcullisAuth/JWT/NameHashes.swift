/// The hashes of the member names of one JSON object that a reader skipped, so that a repeated
/// name is refused without keeping the names themselves.
///
/// Hashes come from `Hasher`, seeded per process: two different names collide with probability
/// 2⁻⁶⁴, and a sender cannot aim for a collision. The first 16 are compared one by one (real
/// tokens carry a dozen claims: no set to allocate); more go into a `Set`, so that an object of
/// thousands of members costs linear time.
struct NameHashes {
    private static let listed = 16
    private var list: [Int] = []
    private var set: Set<Int>?

    /// Adds `hash`; false when it was there already.
    mutating func insert(_ hash: Int) -> Bool {
        if var set = self.set {
            self.set = nil  // the only reference while it grows
            let inserted = set.insert(hash).inserted
            self.set = set
            return inserted
        }
        if self.list.contains(hash) { return false }
        if self.list.count < Self.listed {
            if self.list.isEmpty { self.list.reserveCapacity(Self.listed) }
            self.list.append(hash)
        } else {
            var set = Set(self.list)
            set.insert(hash)
            self.set = set
            self.list = []
        }
        return true
    }
}
