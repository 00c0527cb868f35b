import Crypto

/// A token cache key: the SHA-256 digest of the token, 32 bytes held inline.
///
/// The introspection caches hold answers for arbitrary tokens, inactive ones included, so their
/// keys must not let a client choose collisions, and no cache should keep replayable tokens in
/// memory. The JWT cache keyed by the whole token before: a 260-byte HS256 token cost a ~320-byte
/// heap block per entry (of 1,454 bytes measured per cached JWT with Benchmarks/e2e/cache-memory.sh);
/// the digest is inline and SHA-256 is collision-resistant, so a hit is still the very token that
/// was verified. A digest is uniformly distributed, so one of its words is a sufficient hash.
@_spi(Benchmarks) public struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    @_spi(Benchmarks) public init(_ token: String) {
        self.init(Substring(token))
    }

    /// The digest of a token given as a slice of a header value.
    @_spi(Benchmarks) public init(_ token: Substring) {
        var token = token
        // `update(bufferPointer:)` rather than `hash(data:)`: the `DataProtocol` path walks the
        // buffer's regions through a generic iterator.
        var hasher = SHA256()
        token.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        let digest = hasher.finalize()
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
