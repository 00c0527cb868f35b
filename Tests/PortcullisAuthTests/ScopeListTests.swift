import Testing

@testable import PortcullisAuth

/// Scope strings split into words as bytes, whatever the characters around the spaces.
@Suite("Scope list")
struct ScopeListTests {
    @Test("split at spaces (or the separators given), empty words dropped, never inside a word")
    func split() {
        #expect(ScopeList.split("read write") == ["read", "write"])
        #expect(ScopeList.split("  a   b ") == ["a", "b"])
        #expect(ScopeList.split("") == [])
        #expect(ScopeList.split("   ") == [])
        #expect(ScopeList.split("orders:read") == ["orders:read"])
        #expect(ScopeList.split("a\tb") == ["a\tb"])
        #expect(ScopeList.split("a\tb c", separators: [0x20, 0x09]) == ["a", "b", "c"])
        // A space followed by a combining mark is one Character but still two words.
        #expect(ScopeList.split("read \u{301}admin") == ["read", "\u{301}admin"])
        #expect(ScopeList.split("caf\u{E9} th\u{E9}") == ["caf\u{E9}", "th\u{E9}"])
    }
}
