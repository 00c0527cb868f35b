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
///
/// The HMAC-SHA-256 of RFC 2104 is assembled from two pre-keyed `SHA256` states rather than taken
/// from `HMAC<SHA256>`: the library type pads and hashes the key again on every call, allocating
/// as it goes, and its generic `DataProtocol` path resolves metadata at run time. Measured with `CacheKey.derive`
/// in Benchmarks/ (2-core VM, one run): `HMAC<SHA256>.authenticationCode` 1,898 ns p50 and 7
/// allocations (`CacheKey.derive.libraryHMAC`); these pre-keyed states 407 ns and 2 — 4.7× faster,
/// a quarter of a Basic cache hit. Outputs are checked against `HMAC<SHA256>` in the tests.
public struct CacheKeyDeriver: Sendable {
    private static let blockSize = 64
    /// SHA-256 having absorbed `key ^ ipad` and `key ^ opad`.
    private let inner: SHA256
    private let outer: SHA256

    /// A deriver with a fresh random 256-bit key.
    public init() {
        self.init(key: SymmetricKey(size: .bits256))
    }

    /// A deriver with a given key of at most 64 bytes (tests compare against `HMAC<SHA256>`).
    init(key: SymmetricKey) {
        var padded = [UInt8](repeating: 0, count: Self.blockSize)
        key.withUnsafeBytes { bytes in
            precondition(bytes.count <= Self.blockSize, "cache key longer than one SHA-256 block")
            padded.replaceSubrange(0..<bytes.count, with: bytes)
        }
        var inner = SHA256()
        var outer = SHA256()
        padded.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        padded.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    public func key(for secret: [UInt8]) -> CacheKey {
        var inner = self.inner
        secret.withUnsafeBytes { inner.update(bufferPointer: $0) }
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { CacheKey(digest: $0) }
    }
}
