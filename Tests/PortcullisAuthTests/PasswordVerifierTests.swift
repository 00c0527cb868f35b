import PortcullisConfig
import Testing

@testable import PortcullisAuth

@Suite("Password verification")
struct PasswordVerifierTests {
    /// `htpasswd -nbB -C 10 alice alice123`: a `$2y$` hash made by another implementation.
    static let htpasswdHash = "$2y$10$pFzW.epJlORvoehp41EbzewlAwaQZhbJMCosCJkqp36ioDrJDav32"

    @Test("bcrypt hashes from htpasswd ($2y$) verify, wrong passwords do not")
    func bcryptFromHtpasswd() {
        let stored = StoredPassword.bcrypt(Self.htpasswdHash)
        #expect(PasswordVerifier.verify(Array("alice123".utf8), against: stored))
        #expect(!PasswordVerifier.verify(Array("alice124".utf8), against: stored))
        #expect(!PasswordVerifier.verify(Array("".utf8), against: stored))
    }

    @Test("bcrypt hashes from hash-password ($2b$) verify")
    func bcryptOwn() throws {
        let hash = try PasswordHasher.hash("pässword", algorithm: .bcrypt, cost: 4)
        #expect(hash.hasPrefix("$2b$04$"))
        let stored = try StoredPassword.parse(hash).get()
        #expect(PasswordVerifier.verify(Array("pässword".utf8), against: stored))
        #expect(!PasswordVerifier.verify(Array("password".utf8), against: stored))
    }

    @Test("a NUL in the password never matches a bcrypt hash of its prefix")
    func nulTruncation() throws {
        let stored = try StoredPassword.parse(PasswordHasher.hash("abc", algorithm: .bcrypt, cost: 4)).get()
        #expect(PasswordVerifier.verify(Array("abc".utf8), against: stored))
        #expect(!PasswordVerifier.verify(Array("abc".utf8) + [0] + Array("zzz".utf8), against: stored))
    }

    @Test("SHA-256, SHA-512 and plain text verify", arguments: [PasswordHasher.Algorithm.sha256, .sha512])
    func digests(algorithm: PasswordHasher.Algorithm) throws {
        let stored = try StoredPassword.parse(PasswordHasher.hash("alice123", algorithm: algorithm)).get()
        #expect(PasswordVerifier.verify(Array("alice123".utf8), against: stored))
        #expect(!PasswordVerifier.verify(Array("alice12".utf8), against: stored))
    }

    @Test("Ballerina's braced digests (@sha256:{hex}, @sha512:{hex}) are the same passwords as the bare forms")
    func bracedDigests() throws {
        let hex = "4e40e8ffe0ee32fa53e139147ed559229a5930f89c2204706fc174beb36210b3"  // sha256("alice123")
        let bare = try StoredPassword.parse("@sha256:" + hex).get()
        let braced = try StoredPassword.parse("@sha256:{" + hex + "}").get()
        #expect(bare == braced)
        #expect(PasswordVerifier.verify(Array("alice123".utf8), against: braced))
        #expect(!PasswordVerifier.verify(Array("alice124".utf8), against: braced))
        let sha512 = try #require(try? PasswordHasher.hash("bob123", algorithm: .sha512))
        let bracedSHA512 = try StoredPassword.parse("@sha512:{" + sha512.dropFirst("@sha512:".count) + "}").get()
        #expect(PasswordVerifier.verify(Array("bob123".utf8), against: bracedSHA512))
    }

    @Test("known SHA-256 vector: echo -n alice123 | sha256sum")
    func sha256Vector() throws {
        let stored = try StoredPassword.parse("@sha256:4e40e8ffe0ee32fa53e139147ed559229a5930f89c2204706fc174beb36210b3").get()
        #expect(PasswordVerifier.verify(Array("alice123".utf8), against: stored))
    }

    @Test("plain text compares whole passwords")
    func plain() {
        #expect(PasswordVerifier.verify(Array("xxx".utf8), against: .plain("xxx")))
        #expect(!PasswordVerifier.verify(Array("xx".utf8), against: .plain("xxx")))
        #expect(!PasswordVerifier.verify(Array("xxxx".utf8), against: .plain("xxx")))
    }

    @Test("constant-time equality")
    func constantTime() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
    }
}
