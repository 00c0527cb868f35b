import Foundation
import PropertyBased
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

    /// Targets built from the pieces that make paths ambiguous: slashes, dots, escapes (also
    /// malformed ones), backslashes, a query.
    static let targets = Gen.element(of: ["/", "/", ".", "..", "%2e", "%2E", "%2f", "%5C", "%", "%4", "%41", "a", "b", "\\", "?x", "é"])
        .map { $0 ?? "/" }
        .array(of: 0...12)
        .map { "/" + $0.joined() }

    @Test("property: an accepted path has no dot segment, even percent-encoded, and reads back the same from its own segments; the query changes nothing")
    func acceptedPathsAreStable() async {
        await propertyCheck(count: 1000, input: Self.targets) { target in
            guard let path = try? RequestPath(target: target) else {
                // Refused: with any query it stays refused.
                #expect((try? RequestPath(target: target + "?z=1")) == nil, "\(target)")
                return
            }
            for segment in path.segments {
                let decoded = segment.replacingOccurrences(of: "%2e", with: ".").replacingOccurrences(of: "%2E", with: ".")
                #expect(decoded != "." && decoded != "..", "\(target): segment \(segment)")
                #expect(!segment.contains("\\") && !segment.lowercased().contains("%2f") && !segment.lowercased().contains("%5c"), "\(target)")
            }
            // Idempotent: the segments joined again are accepted and split the same (a last empty
            // segment needs its trailing slash back: one trailing empty segment is dropped).
            let again = "/" + path.segments.joined(separator: "/") + (path.segments.last == "" ? "/" : "")
            #expect((try? RequestPath(target: again))?.segments == path.segments, "\(target) -> \(again)")
            #expect((try? RequestPath(target: target + "?z=1"))?.segments == path.segments, "\(target)")
        }
    }
}
