import PortcullisClientAuth
import Testing

@Suite("Form URL encoding")
struct FormURLEncodingTests {
    @Test("Letters, digits and *-._ pass; a space becomes +; everything else is percent-encoded, UTF-8 included")
    func components() {
        #expect(FormURLEncoding.encode("aZ09*-._") == "aZ09*-._")
        #expect(FormURLEncoding.encode("read write") == "read+write")
        // Base64 and JWT characters that a form decoder would otherwise misread.
        #expect(FormURLEncoding.encode("a+b/c=d&e%f") == "a%2Bb%2Fc%3Dd%26e%25f")
        #expect(FormURLEncoding.encode("~!'()") == "%7E%21%27%28%29")
        #expect(FormURLEncoding.encode("é") == "%C3%A9")
        #expect(FormURLEncoding.encode("") == "")
    }

    @Test("Pairs are joined in order")
    func pairs() {
        #expect(FormURLEncoding.encode([("token", "t+1"), ("token_type_hint", "access_token"), ("resource", "https://api/x")]) ==
            "token=t%2B1&token_type_hint=access_token&resource=https%3A%2F%2Fapi%2Fx")
        #expect(FormURLEncoding.encode([]) == "")
    }
}
