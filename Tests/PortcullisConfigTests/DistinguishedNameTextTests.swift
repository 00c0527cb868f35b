import Testing

@testable import PortcullisConfig

@Suite("Distinguished name text")
struct DistinguishedNameTextTests {
    @Test("spaces around separators and the case of attribute types do not matter; values compare exactly", arguments: [
        ("CN=billing,O=Example", "CN=billing,O=Example"),
        ("cn = billing , o = Example", "CN=billing,O=Example"),
        ("CN=Billing Team,O=Example Inc", "CN=Billing Team,O=Example Inc"),
        ("emailAddress=a@example.org,CN=x", "E=a@example.org,CN=x"),
        ("CN=a\\,b,O=c", "CN=a\\,b,O=c"),
        ("CN=a\\ ,O=c", "CN=a\\ ,O=c"),
        ("CN=x+UID=7,O=c", "CN=x+UID=7,O=c"),
        ("CN=", "CN="),
    ])
    func canonical(input: String, expected: String) {
        #expect(DistinguishedNameText.canonical(input) == expected)
    }

    @Test("text that is not a distinguished name is refused", arguments: ["", "billing", "CN=a,", ",CN=a", "=a", "CN=a\\", "C N=a", "CN=a,billing"])
    func refused(input: String) {
        #expect(DistinguishedNameText.canonical(input) == nil)
    }
}
