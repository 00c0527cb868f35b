/// The hashes of the member names of one JSON object that a reader skipped, so that a repeated
/// name is refused without keeping the names themselves.
///
/// Hashes come from `Hasher`, seeded per process: two different names collide with probability
/// 2⁻⁶⁴, and a sender cannot aim for a collision. The first 16 are kept inline and compared one by
/// one (real tokens carry a dozen claims: nothing to allocate); more go into a `Set`, so that an
/// object of thousands of members costs linear time.
struct NameHashes {
    private static let inlineCapacity = 16
    private var inline = InlineArray<16, Int>(repeating: 0)
    private var count = 0
    private var overflow: Set<Int>?

    /// Adds `hash`; false when it was there already.
    mutating func insert(_ hash: Int) -> Bool {
        if var overflow = self.overflow {
            self.overflow = nil  // the only reference while it grows
            let inserted = overflow.insert(hash).inserted
            self.overflow = overflow
            return inserted
        }
        for index in 0..<self.count where self.inline[index] == hash {
            return false
        }
        if self.count < Self.inlineCapacity {
            self.inline[self.count] = hash
            self.count += 1
        } else {
            var overflow = Set<Int>(minimumCapacity: 2 * Self.inlineCapacity)
            for index in 0..<self.count { overflow.insert(self.inline[index]) }
            overflow.insert(hash)
            self.overflow = overflow
        }
        return true
    }
}
