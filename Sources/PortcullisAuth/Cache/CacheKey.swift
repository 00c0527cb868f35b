import Crypto

/// A 256-bit cache key: a keyed hash (HMAC-SHA-256) of a secret such as a credential or a token.
///
/// Keying the hash with a per-process random key means a memory dump of a cache shows neither the
/// secrets nor digests that could be brute-forced offline.
public struct CacheKey: Hashable, Sendable {
    private let a: UInt64
    private let b: UInt64
    private let c: UInt64
    private let d: UInt64

    init(digest: some Sequence<UInt8>) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (index, byte) in digest.prefix(32).enumerated() { raw[index] = byte }
        }
        (self.a, self.b, self.c, self.d) = words
    }

    public func hash(into hasher: inout Hasher) {
        // The words are already uniformly distributed.
        hasher.combine(self.a)
    }

    /// Which of `count` shards this key belongs to.
    func shard(of count: Int) -> Int {
        Int(truncatingIfNeeded: self.b % UInt64(count))
    }
}

/// Derives ``CacheKey``s from secrets with a key that lives only in this process.
public struct CacheKeyDeriver: Sendable {
    private let key: SymmetricKey

    public init() {
        self.key = SymmetricKey(size: .bits256)
    }

    public func key(for secret: [UInt8]) -> CacheKey {
        let code = HMAC<SHA256>.authenticationCode(for: secret, using: self.key)
        return code.withUnsafeBytes { CacheKey(digest: $0) }
    }
}
