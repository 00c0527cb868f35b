import Testing

@testable import PortcullisAuth

@Suite("Authorization header parsing")
struct PresentedCredentialTests {
    @Test("Basic credentials decode, the scheme in any case, padding optional")
    func basic() throws {
        for header in ["Basic YWxpY2U6MTIz", "basic YWxpY2U6MTIz", "BASIC YWxpY2U6MTIz", "Basic  YWxpY2U6MTIz"] {
            guard case .basic(let credentials) = PresentedCredential.parse(header) else {
                Issue.record("\(header) did not parse")
                continue
            }
            #expect(credentials.username == "alice")
            #expect(credentials.password == "123")
        }
        // "alice:12" is 8 bytes: its Base64 ends in "=", which may be left out.
        guard case .basic(let unpadded) = PresentedCredential.parse("Basic YWxpY2U6MTI") else {
            Issue.record("unpadded Base64 was refused")
            return
        }
        #expect(unpadded.password == "12")
    }

    @Test("the password is everything after the first colon")
    func colonsInPassword() {
        guard case .basic(let credentials) = PresentedCredential.parse("Basic YWxpY2U6YWxpY2U6QDU=") else {
            Issue.record("did not parse")
            return
        }
        #expect(credentials.username == "alice")
        #expect(credentials.password == "alice:@5")
    }

    @Test("malformed Basic credentials are refused with a reason", arguments: [
        ("Basic !nval!d-b@$e64", "Basic credentials are not valid Base64"),
        ("Basic YWxpY2UxMjM=", "Basic credentials are not in the form user:password"),  // no colon
        ("Basic YWxpY2U6", "Basic credentials are not in the form user:password"),  // empty password
        ("Basic OjEyMw==", "Basic credentials are not in the form user:password"),  // empty user
        ("Basic //79", "Basic credentials are not valid UTF-8"),  // 0xff 0xfe 0xfd
        ("Basic", "Basic header has no single credentials token"),
        ("Basic a b", "Basic header has no single credentials token"),
    ])
    func malformedBasic(header: String, reason: String) {
        guard case .malformed(let scheme, let failure) = PresentedCredential.parse(header) else {
            Issue.record("\(header) was accepted")
            return
        }
        #expect(scheme == .basic)
        #expect(failure.code == .malformedCredentials)
        #expect(failure.reason == reason)
    }

    @Test("Bearer tokens are b64token values")
    func bearer() {
        #expect(PresentedCredential.parse("Bearer abc.DEF-_~+/==") == .bearer(token: "abc.DEF-_~+/=="))
        #expect(PresentedCredential.parse("bearer x") == .bearer(token: "x"))
        guard case .malformed(.bearer, _) = PresentedCredential.parse("Bearer a=b") else {
            Issue.record("padding in the middle was accepted")
            return
        }
        #expect(PresentedCredential.parse("Bearer a=b").presentedBearerToken)
        for bad in ["Bearer ==", "Bearer a==b", "Bearer a b", "Bearer caf\u{E9}", "Bearer a\u{0}", "Bearer a,b"] {
            guard case .malformed(.bearer, _) = PresentedCredential.parse(bad) else {
                Issue.record("\(bad.debugDescription) was accepted")
                continue
            }
        }
        let long = String(repeating: "aZ0-._~+/", count: 800) + "=="
        #expect(PresentedCredential.parse("Bearer " + long) == .bearer(token: Substring(long)))
        // Every byte value in both eight-byte words and in the tail: only the 66 b64token
        // characters pass (the eight-byte path and the table must agree).
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/".utf8)
        for position in [0, 7, 15, 16, 20] {
            for byte in UInt8(1)...UInt8(127) where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                var token = Array(repeating: UInt8(ascii: "a"), count: 21)
                token[position] = byte
                let value = "Bearer " + String(decoding: token, as: UTF8.self)
                let accepted = PresentedCredential.parse(value) == .bearer(token: Substring(decoding: token, as: UTF8.self))
                let paddingAtEnd = byte == UInt8(ascii: "=") && position == 20
                #expect(accepted == (allowed.contains(byte) || paddingAtEnd), "byte \(byte) at \(position)")
            }
        }
    }

    @Test("the eight-byte check agrees with the table for every byte value at every position")
    func eightByteCheck() {
        for position in 0..<8 {
            for byte in 0...255 {
                var bytes = Array(repeating: UInt8(ascii: "Z"), count: 8)
                bytes[position] = UInt8(byte)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(PresentedCredential.allTokenBytes(word) == PresentedCredential.b64TokenBytes[byte], "byte \(byte) at \(position)")
            }
        }
        #expect(PresentedCredential.allTokenBytes(0x2F39_2D2B_5F7E_417A))  // z A ~ _ + - 9 /
    }

    @Test("unknown schemes and oversized headers are malformed")
    func unknownAndOversized() {
        guard case .malformed(nil, _) = PresentedCredential.parse("Digest username=x") else {
            Issue.record("Digest was accepted")
            return
        }
        let huge = "Basic " + String(repeating: "A", count: PresentedCredential.maximumLength)
        guard case .malformed(.basic, let failure) = PresentedCredential.parse(huge) else {
            Issue.record("an oversized header was accepted")
            return
        }
        #expect(failure.reason == "Authorization header exceeds 8192 bytes")
    }

    @Test("descriptions never show the password")
    func noPasswordInDescription() {
        let credentials = BasicCredentials(username: "alice", password: "s3cr3t")
        #expect(!"\(credentials)".contains("s3cr3t"))
        #expect(!String(reflecting: PresentedCredential.basic(credentials)).contains("s3cr3t"))
    }
}
