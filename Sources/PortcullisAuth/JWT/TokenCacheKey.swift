/// A verified-token cache key: the token itself.
///
/// Equality compares whole tokens, so a hit can only be the very token that was verified. The hash
/// covers only the token's last 32 bytes, the end of its signature: hashing an 800-byte RS256 token
/// whole costs more than the rest of a cache hit, and two valid tokens never share their signature
/// bytes. Entries are only inserted for tokens whose signature verified, so a caller cannot fill a
/// bucket with colliding entries; colliding lookups cost one comparison each.
///
/// Holding tokens rather than digests bounds the cache's memory at `capacity` × 8 KiB (the token
/// size limit); typical tokens are under 1 KiB.
struct TokenCacheKey: Hashable, Sendable {
    let token: String

    init(_ token: String) {
        self.token = token
    }

    func hash(into hasher: inout Hasher) {
        var token = self.token
        token.withUTF8 { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(32))))
        }
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.token == rhs.token
    }
}
