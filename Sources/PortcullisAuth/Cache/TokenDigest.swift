import Crypto

/// A cache key for tokens nobody has verified yet: the SHA-256 digest of the token.
///
/// The introspection caches hold answers for arbitrary tokens, inactive ones included, so their
/// keys must not let a client choose collisions (``TokenCacheKey`` hashes only a token's tail, which
/// is safe only for signature-verified tokens), and they should not keep replayable tokens in memory.
/// A digest is uniformly distributed, so one of its words is a sufficient hash.
@_spi(Benchmarks) public struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    @_spi(Benchmarks) public init(_ token: String) {
        var token = token
        let digest = token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        self.words = digest.withUnsafeBytes { bytes in
            (
                bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            )
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
    }
}
