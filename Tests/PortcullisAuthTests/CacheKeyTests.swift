import Crypto
import Testing

@testable import PortcullisAuth

@Suite("Cache keys")
struct CacheKeyTests {
    /// Lengths around SHA-256's padding boundaries (55/56 bytes) and block size (64 bytes).
    static let secretLengths = [0, 1, 14, 55, 56, 63, 64, 65, 119, 120, 200, 8192]

    @Test("the pre-keyed derivation equals HMAC-SHA-256 of swift-crypto", arguments: [16, 32, 64])
    func matchesLibraryHMAC(keyLength: Int) {
        let key = SymmetricKey(data: (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let deriver = CacheKeyDeriver(key: key)
        for length in Self.secretLengths {
            let secret = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 7) }
            let expected = HMAC<SHA256>.authenticationCode(for: secret, using: key).withUnsafeBytes { CacheKey(digest: $0) }
            #expect(deriver.key(for: secret) == expected, "secret of \(length) bytes")
        }
    }

    @Test("two processes' keys (two derivers) never share cache keys for one secret")
    func keyedPerDeriver() {
        let secret = Array("alice:alice123".utf8)
        #expect(CacheKeyDeriver().key(for: secret) != CacheKeyDeriver().key(for: secret))
    }

    @Test("secrets that differ in one byte get different keys")
    func distinctSecrets() {
        let deriver = CacheKeyDeriver()
        #expect(deriver.key(for: Array("alice:alice123".utf8)) != deriver.key(for: Array("alice:alice124".utf8)))
        #expect(deriver.key(for: Array("alice:alice123".utf8)) == deriver.key(for: Array("alice:alice123".utf8)))
    }
}
