import Testing

@testable import PortcullisConfig

@Suite("TOML line index")
struct TOMLLineIndexTests {
    @Test("arrays of tables, sub-tables, inline tables and quoted keys get their lines")
    func structure() {
        let index = TOMLLineIndex(
            source: """
                # comment with [brackets] and key = "value"
                title = \"\"\"
                multi-line [not.a.table]
                \"\"\"
                [[service]]
                basePath = "/a"
                [[service]]
                basePath = "/b"
                  [[service.auth]]
                  mtls = { subjectScopes = { "CN=a,O=b" = ["x"] } }
                  [[service.auth]]
                  [service.auth.jwtValidatorConfig]
                  issuer = 'wso2'
                list = [
                  { a = 1 },
                  { b = 2 },
                ]
                """
        )
        let service1 = ConfigPath.root.appending("service").appending(index: 1)
        #expect(index.line(for: ConfigPath.root.appending("title")) == 2)
        #expect(index.line(for: ConfigPath.root.appending("service").appending(index: 0).appending("basePath")) == 6)
        #expect(index.line(for: service1.appending("basePath")) == 8)
        let auth0 = service1.appending("auth").appending(index: 0)
        #expect(index.line(for: auth0.appending("mtls").appending("subjectScopes").appending("CN=a,O=b")) == 10)
        let auth1 = service1.appending("auth").appending(index: 1)
        #expect(index.line(for: auth1) == 11)
        #expect(index.line(for: auth1.appending("jwtValidatorConfig").appending("issuer")) == 13)
        #expect(index.line(for: auth1.appending("jwtValidatorConfig").appending("list").appending(index: 1).appending("b")) == 16)
        // A key that is not written falls back to its nearest written ancestor.
        #expect(index.line(for: auth1.appending("jwtValidatorConfig").appending("audience")) == 12)
        #expect(index.line(for: ConfigPath.root.appending("nothing")) == 1)
    }
}
