import Crypto
import CryptoExtras
import Foundation
import Testing

@_spi(Benchmarks) @testable import PortcullisAuth

@Suite("JWKS documents")
struct JWKSDocumentTests {
    @Test("an RSA key under 2048 bits is skipped (RFC 7518 §3.3); a 2048-bit one is used")
    func shortRSAKey() async throws {
        func jwk(_ key: _RSA.Signing.PublicKey, kid: String) throws -> String {
            let primitives = try key.getKeyPrimitives()
            return #"{"kty":"RSA","kid":"\#(kid)","n":"\#(primitives.modulus.base64URL)","e":"\#(primitives.publicExponent.base64URL)"}"#
        }
        let short = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey
        let long = try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey
        let body = #"{"keys":[\#(try jwk(short, kid: "short")),\#(try jwk(long, kid: "long"))]}"#
        let (keys, skipped) = try await JWKSDocument.keys(from: Array(body.utf8), capacity: 8)
        #expect(keys.map { $0.keyID } == ["long"])
        #expect(skipped.count == 1 && skipped[0].hasPrefix("keys[0]: "), "\(skipped)")
    }
}
