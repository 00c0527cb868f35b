import Testing

@_spi(Benchmarks) @testable import PortcullisAuth

@Suite("Token digest")
struct TokenDigestTests {
    @Test("Equal tokens give equal keys; tokens differing in one byte anywhere do not")
    func equality() {
        let token = "2YotnFZFEjr1zCsicMWpAA"
        #expect(TokenDigest(token) == TokenDigest(String(token)))
        #expect(TokenDigest(token).hashValue == TokenDigest(token).hashValue)
        #expect(TokenDigest(token) != TokenDigest("3YotnFZFEjr1zCsicMWpAA"))
        #expect(TokenDigest(token) != TokenDigest("2YotnFZFEjr1zCsicMWpAB"))
        // Tokens sharing a long tail (the end of their signatures) are told apart.
        let tail = String(repeating: "x", count: 64)
        #expect(TokenDigest("a" + tail) != TokenDigest("b" + tail))
        #expect(TokenDigest("a" + tail).hashValue != TokenDigest("b" + tail).hashValue)
    }
}
