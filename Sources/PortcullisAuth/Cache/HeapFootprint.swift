import PortcullisConfig

/// Estimates of the heap bytes cached values hold, for `portcullis_cache_bytes`: each Swift
/// storage block with its header, rounded as glibc's malloc rounds (16-byte granules, 8 bytes
/// of chunk header, 32 bytes at least). Strings of up to 15 UTF-8 bytes are held inline.
///
/// An estimate, not an accounting: it leaves out allocator slack and pages not given back, so
/// the process's RSS grows somewhat more (Benchmarks/e2e/cache-memory.sh prints both).
package enum HeapFootprint {
    /// One malloc block with `payload` bytes.
    package static func block(_ payload: Int) -> Int {
        max(32, (payload + 8 + 15) & ~15)
    }

    package static func string(_ string: String) -> Int {
        let count = string.utf8.count
        // A native string's storage: a 32-byte header, the bytes and a terminating NUL.
        return count <= 15 ? 0 : Self.block(32 + count + 1)
    }

    package static func strings(_ strings: [String]) -> Int {
        guard !strings.isEmpty else { return 0 }
        return Self.block(32 + MemoryLayout<String>.stride * strings.capacity) + strings.reduce(0) { $0 + Self.string($1) }
    }

    /// A native dictionary's one block: header, occupancy bitmap, keys and values, for its
    /// power-of-two bucket count (its capacity is 3/4 of it).
    package static func table(capacity: Int, keyStride: Int, valueStride: Int) -> Int {
        guard capacity > 0 else { return 0 }
        var buckets = 1
        while buckets * 3 < capacity * 4 { buckets <<= 1 }
        return Self.block(80 + (buckets + 63) / 64 * 8 + buckets * (keyStride + valueStride))
    }

    package static func principal(_ principal: Principal) -> Int {
        Self.string(principal.subject) + Self.strings(principal.scopes) + Self.claims(principal.claims)
    }

    package static func claims(_ claims: [String: ClaimValue]) -> Int {
        guard !claims.isEmpty else { return 0 }
        var total = Self.table(capacity: claims.capacity, keyStride: MemoryLayout<String>.stride, valueStride: MemoryLayout<ClaimValue>.stride)
        for (name, value) in claims {
            total += Self.string(name) + Self.claim(value)
        }
        return total
    }

    package static func claim(_ value: ClaimValue) -> Int {
        switch value {
        case .string(let string):
            return Self.string(string)
        case .array(let values):
            guard !values.isEmpty else { return 0 }
            return Self.block(32 + MemoryLayout<ClaimValue>.stride * values.capacity) + values.reduce(0) { $0 + Self.claim($1) }
        case .object(let members):
            return Self.claims(members)
        case .number, .bool, .null:
            return 0
        }
    }
}
