import PortcullisLDAP
import PropertyBased
import Testing

@Suite("LDAP filter escaping")
struct LDAPFilterTests {
    @Test("RFC 4515's five characters are escaped as \\XX; everything else is kept")
    func escape() {
        #expect(LDAPFilter.escape(#"a*b(c)d\e"#) == #"a\2ab\28c\29d\5ce"#)
        #expect(LDAPFilter.escape("nul\0") == #"nul\00"#)
        #expect(LDAPFilter.escape("Zoë O'Brien-Smith") == "Zoë O'Brien-Smith")
        #expect(LDAPFilter.escape("") == "")
    }

    @Test("Every ? of the template takes the escaped value")
    func substitute() {
        #expect(LDAPFilter.substitute("alice)(uid=*", into: "(&(objectClass=person)(uid=?))") == #"(&(objectClass=person)(uid=alice\29\28uid=\2a))"#)
        #expect(LDAPFilter.substitute("x", into: "(|(uid=?)(mail=?))") == "(|(uid=x)(mail=x))")
    }

    /// Values drawn from filter syntax, escapes, NUL, ASCII and beyond.
    static let values = Gen.element(of: Array(#"()*\=&|!~<>?0123456789abcdefABCDEF xyzXYZ"#) + ["\0", "é", "𝄞", "\u{301}"] as [Character])
        .map { $0 ?? "x" }
        .string(of: 0...40)

    @Test("property: escaping round-trips (RFC 4515 §3 unescaping gives the value back) and leaves no special character bare")
    func escapeRoundTrips() async {
        await propertyCheck(count: 500, input: Self.values) { value in
            let escaped = LDAPFilter.escape(value)
            #expect(Self.unescaped(escaped) == Array(value.utf8), "\(value.debugDescription) -> \(escaped.debugDescription)")
            // No `*`, `(`, `)` or NUL left, and every `\` starts a two-hex-digit escape.
            let bytes = Array(escaped.utf8)
            #expect(!bytes.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "(") || $0 == UInt8(ascii: ")") || $0 == 0 })
            var index = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\\") {
                    let hex = index + 2 < bytes.count ? Array(bytes[(index + 1)...(index + 2)]) : []
                    #expect(hex.count == 2 && hex.allSatisfy { Self.hexValue($0) != nil }, "\(escaped.debugDescription)")
                    index += 3
                } else {
                    index += 1
                }
            }
            // Substituted into a template, the value adds no filter structure: the parentheses
            // are the template's own.
            let filter = LDAPFilter.substitute(value, into: "(&(objectClass=person)(uid=?))")
            #expect(filter.utf8.filter { $0 == UInt8(ascii: "(") }.count == 3)
            #expect(filter.utf8.filter { $0 == UInt8(ascii: ")") }.count == 3)
        }
    }

    /// RFC 4515's unescaping: `\XX` is the byte XX; anything else is itself.
    static func unescaped(_ escaped: String) -> [UInt8] {
        let bytes = Array(escaped.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 2 < bytes.count,
                let high = Self.hexValue(bytes[index + 1]), let low = Self.hexValue(bytes[index + 2])
            {
                result.append(high << 4 | low)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
