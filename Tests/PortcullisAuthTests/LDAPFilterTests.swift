import PortcullisAuth
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
}
