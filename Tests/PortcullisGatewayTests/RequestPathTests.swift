import Testing

@testable import PortcullisGateway

/// Path splitting and the refusal of paths an upstream could read differently.
@Suite("Request path")
struct RequestPathTests {
    @Test(
        "splits at slashes, drops the query and one trailing empty segment, keeps percent-encoding",
        arguments: [
            ("/", [String]()),
            ("/?q=1", []),
            ("/shop/items/42?verbose=1&x=/..", ["shop", "items", "42"]),
            ("/shop/items/", ["shop", "items"]),
            ("//a", ["", "a"]),
            ("/a%20b/caf%C3%A9/café", ["a%20b", "caf%C3%A9", "café"]),
            ("/.../.a/a./%2e%2e%2e/%41", ["...", ".a", "a.", "%2e%2e%2e", "%41"]),
        ]
    )
    func splits(target: String, expected: [String]) throws {
        #expect(try RequestPath(target: target).segments.map(String.init) == expected)
    }

    @Test(
        "dot segments, plain or encoded, and encoded slashes or backslashes are ambiguous",
        arguments: [
            "/.", "/..", "/a/./b", "/a/../b", "/a/%2e", "/a/%2E%2e", "/a/.%2E/b", "/a/%2e.",
            "/a%2fb", "/a%2Fb", "/a%5cb", "/a%5Cb", "/a\\b", "/a/..?q",
            // A malformed escape is refused: lenient decoders read `%%5c` as `%` and a backslash.
            "/a/12%%5c41", "/a%", "/a%2", "/a%zz/b", "/%g0",
        ]
    )
    func ambiguous(target: String) {
        #expect(throws: RequestPath.Problem.ambiguousSegment) { try RequestPath(target: target) }
    }

    @Test("targets not in origin form are refused", arguments: ["", "*", "shop", "http://example.com/shop"])
    func notOriginForm(target: String) {
        #expect(throws: RequestPath.Problem.notOriginForm) { try RequestPath(target: target) }
    }
}
