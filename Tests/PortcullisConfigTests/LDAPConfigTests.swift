import Foundation
import Testing

@testable import PortcullisConfig

/// `ldapUserStoreConfig` read from TOML: every Ballerina field, both timeout spellings, the
/// defaults derived from the object-class and attribute fields, and every mistake at its line.
@Suite("LDAP config")
struct LDAPConfigTests {
    private func parse(_ record: String, scopes: String = #"["admin"]"#) throws -> GatewayConfig {
        try ConfigLoader.parse(
            """
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              scopes = \(scopes)
              [service.auth.ldapUserStoreConfig]
            \(record)
            """,
            file: "ldap.toml"
        )
    }

    private func ldap(_ record: String, scopes: String = #"["admin"]"#) throws -> (LDAPUserStoreConfig, [String]) {
        let config = try self.parse(record, scopes: scopes)
        guard case .ldapUserStore(let ldap) = try #require(config.services.first?.auth.first).method else {
            throw ConfigError(diagnostics: [])
        }
        return (ldap, config.warnings.map(\.description))
    }

    private func diagnostics(_ record: String, scopes: String = #"["admin"]"#) -> [String] {
        collectDiagnostics { try self.parse(record, scopes: scopes) }
    }

    static let required = #"""
          connectionUrl = "ldap://127.0.0.1:3890"
          connectionName = "cn=gateway,dc=example,dc=com"
          connectionPassword = "gateway-secret"
          userSearchBase = "ou=people,dc=example,dc=com"
          groupSearchBase = ["ou=groups,dc=example,dc=com"]
        """#

    @Test("every field of Ballerina's example is read")
    func fields() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-ldapconfig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ca = folder + "/ldap-ca.crt"
        try "not read by the parser".write(toFile: ca, atomically: true, encoding: .utf8)
        let (config, warnings) = try self.ldap(
            #"""
              domainName = "ballerina.io"
              connectionUrl = "ldaps://ldap.example.com:636"
              connectionName = "uid=admin,ou=system"
              connectionPassword = "secret"
              userSearchBase = "ou=Users,dc=ballerina,dc=io#ou=Staff,dc=ballerina,dc=io"
              userEntryObjectClass = "identityPerson"
              userNameAttribute = "uid"
              userNameSearchFilter = "(&(objectClass=person)(uid=?))"
              userNameListFilter = "(objectClass=person)"
              groupSearchBase = ["ou=Groups,dc=ballerina,dc=io", "ou=Teams,dc=ballerina,dc=io"]
              groupEntryObjectClass = "groupOfNames"
              groupNameAttribute = "cn"
              groupNameSearchFilter = "(&(objectClass=groupOfNames)(cn=?))"
              groupNameListFilter = "(objectClass=groupOfUniqueNames)"
              membershipAttribute = "uniqueMember"
              userRolesCacheEnabled = true
              connectionPoolingEnabled = false
              connectionPoolSize = 3
              connectionTimeoutInMillis = 2500
              readTimeoutInMillis = 7000
              secureClientSocket = { cert = "\#(ca)" }
              cacheConfig = { capacity = 50, defaultMaxAge = 60 }
            """#
        )
        #expect(config.domainName == "ballerina.io")
        #expect(config.connectionURL == "ldaps://ldap.example.com:636")
        #expect(config.connectionName == "uid=admin,ou=system" && config.connectionPassword == "secret")
        #expect(config.userSearchBases == ["ou=Users,dc=ballerina,dc=io", "ou=Staff,dc=ballerina,dc=io"])
        #expect(config.userNameAttribute == "uid")
        #expect(config.userNameSearchFilter == "(&(objectClass=person)(uid=?))")
        #expect(config.userNameListFilter == "(objectClass=person)")
        #expect(config.groupSearchBases == ["ou=Groups,dc=ballerina,dc=io", "ou=Teams,dc=ballerina,dc=io"])
        #expect(config.groupNameAttribute == "cn")
        #expect(config.groupNameSearchFilter == "(&(objectClass=groupOfNames)(cn=?))")
        #expect(config.groupNameListFilter == "(objectClass=groupOfUniqueNames)")
        #expect(config.membershipAttribute == "uniqueMember")
        #expect(config.userRolesCacheEnabled && !config.connectionPoolingEnabled && config.connectionPoolSize == 3)
        #expect(config.connectTimeoutSeconds == 2.5 && config.readTimeoutSeconds == 7)
        #expect(config.secureSocket?.cert == .pem(certFile: ca))
        #expect(config.cache == CacheSettingsConfig(capacity: 50, maxAgeSeconds: 60))
        #expect(warnings.isEmpty)
        // The service account's password never shows in a description.
        #expect(!"\(config)".contains("secret"))
        #expect(!String(reflecting: config).contains("secret"))
    }

    @Test("defaults: Ballerina's timeouts and pooling, filters built from the object classes and attributes; plain LDAP off loopback warned about")
    func defaults() throws {
        let (config, warnings) = try self.ldap(Self.required)
        #expect(config.userNameSearchFilter == "(&(objectClass=person)(uid=?))")
        #expect(config.groupNameListFilter == "(objectClass=groupOfNames)")
        #expect(config.membershipAttribute == "member" && config.groupNameAttribute == "cn" && config.userNameAttribute == "uid")
        #expect(config.connectTimeoutSeconds == 5 && config.readTimeoutSeconds == 60)
        #expect(config.connectionPoolingEnabled && config.connectionPoolSize == 8 && !config.userRolesCacheEnabled)
        #expect(config.cache == CacheSettingsConfig())
        #expect(warnings.isEmpty)

        let (derived, remote) = try self.ldap(
            #"""
              connectionUrl = "ldap://ldap.example.com ldap://ldap2.example.com:389"
              connectionName = "cn=gateway,dc=example,dc=com"
              connectionPassword = "gateway-secret"
              userSearchBase = "ou=people,dc=example,dc=com"
              groupSearchBase = "ou=groups,dc=example,dc=com"
              userEntryObjectClass = "inetOrgPerson"
              userNameAttribute = "mail"
              groupEntryObjectClass = "posixGroup"
              connectionTimeout = 1.5
              readTimeout = 3
            """#
        )
        #expect(derived.userNameSearchFilter == "(&(objectClass=inetOrgPerson)(mail=?))")
        #expect(derived.groupNameListFilter == "(objectClass=posixGroup)")
        #expect(derived.groupSearchBases == ["ou=groups,dc=example,dc=com"])
        #expect(derived.connectionURL == "ldap://ldap.example.com ldap://ldap2.example.com:389")
        #expect(derived.connectTimeoutSeconds == 1.5 && derived.readTimeoutSeconds == 3)
        #expect(remote == [
            "ldap.toml:7: service[0].auth[0].ldapUserStoreConfig.connectionUrl: sends passwords over plain LDAP; anyone on the network path can read them (use ldaps://)"
        ])
    }

    @Test("authentication only: no group bases needed without scopes")
    func withoutScopes() throws {
        let source = Self.required.replacingOccurrences(of: #"  groupSearchBase = ["ou=groups,dc=example,dc=com"]"#, with: "")
        let withoutScopes = try ConfigLoader.parse(
            """
            [[service]]
            basePath = "/"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              [service.auth.ldapUserStoreConfig]
            \(source)
            """,
            file: "ldap.toml"
        )
        guard case .ldapUserStore(let ldap) = try #require(withoutScopes.services.first?.auth.first).method else {
            Issue.record("not an LDAP entry")
            return
        }
        #expect(ldap.groupSearchBases.isEmpty)
    }

    @Test("mistakes are refused with their line and key path")
    func mistakes() {
        #expect(self.diagnostics("  domainName = \"x\"") == [
            "ldap.toml:6: service[0].auth[0].ldapUserStoreConfig.connectionName: is required",
            "ldap.toml:6: service[0].auth[0].ldapUserStoreConfig.connectionPassword: is required",
            "ldap.toml:6: service[0].auth[0].ldapUserStoreConfig.connectionUrl: is required",
            "ldap.toml:6: service[0].auth[0].ldapUserStoreConfig.userSearchBase: is required",
        ])
        let found = self.diagnostics(
            #"""
              connectionUrl = "http://ldap.example.com"
              connectionName = "cn=gateway,dc=example,dc=com"
              connectionPassword = ""
              userSearchBase = "ou=people,dc=example,dc=com#"
            """#
        )
        #expect(found == [
            #"ldap.toml:7: service[0].auth[0].ldapUserStoreConfig.connectionUrl: "http://ldap.example.com" must be ldap://host[:port] or ldaps://host[:port] (several separated by spaces, one scheme)"#,
            "ldap.toml:9: service[0].auth[0].ldapUserStoreConfig.connectionPassword: must not be empty: a bind without a password is anonymous",
            "ldap.toml:10: service[0].auth[0].ldapUserStoreConfig.userSearchBase: must be one or more DNs separated by #, none empty",
        ])
        let fields = self.diagnostics(
            Self.required + "\n"
                + #"""
                  userNameSearchFilter = "(uid=alice)"
                  groupNameListFilter = "(objectClass=groupOfNames"
                  membershipAttribute = "member)(uid=*"
                  connectionTimeout = 2
                  connectionTimeoutInMillis = 2000
                  readTimeoutInMillis = 0
                  connectionPoolSize = 0
                  secureClientSocket = { cert = { path = "trust.p12", password = "x" } }
                  bindAnonymously = true
                """#
        )
        #expect(fields.contains(#"ldap.toml:12: service[0].auth[0].ldapUserStoreConfig.userNameSearchFilter: "(uid=alice)" needs a ? where the name goes"#))
        #expect(fields.contains(
            #"ldap.toml:13: service[0].auth[0].ldapUserStoreConfig.groupNameListFilter: "(objectClass=groupOfNames" is not an LDAP filter: it must be parenthesised, with balanced parentheses"#
        ))
        #expect(fields.contains(
            #"ldap.toml:14: service[0].auth[0].ldapUserStoreConfig.membershipAttribute: "member)(uid=*" is not an attribute name (letters, digits and -, or an OID)"#
        ))
        #expect(fields.contains("ldap.toml:15: service[0].auth[0].ldapUserStoreConfig.connectionTimeout: give connectionTimeout or connectionTimeoutInMillis, not both"))
        #expect(fields.contains("ldap.toml:17: service[0].auth[0].ldapUserStoreConfig.readTimeoutInMillis: must be between 1 and 86400000"))
        #expect(fields.contains("ldap.toml:18: service[0].auth[0].ldapUserStoreConfig.connectionPoolSize: must be between 1 and 256"))
        #expect(fields.contains(where: { $0.hasPrefix("ldap.toml:19: service[0].auth[0].ldapUserStoreConfig.secureClientSocket.cert") }))
        #expect(fields.contains("ldap.toml:20: service[0].auth[0].ldapUserStoreConfig.bindAnonymously: unknown key"))
        #expect(fields.count == 8, "\(fields)")
    }

    @Test("scopes need group search bases: without them no scope could ever match")
    func scopesNeedGroups() {
        let source = Self.required.replacingOccurrences(of: #"  groupSearchBase = ["ou=groups,dc=example,dc=com"]"#, with: "")
        #expect(self.diagnostics(source) == [
            "ldap.toml:6: service[0].auth[0].ldapUserStoreConfig.groupSearchBase: is required when the entry has scopes: groups are the scopes"
        ])
    }

    @Test("secureClientSocket on plain ldap:// has no effect and is warned about")
    func socketWithoutTLS() throws {
        let (_, warnings) = try self.ldap(Self.required + "\n  secureSocket = { disable = true }")
        #expect(warnings.contains("ldap.toml:12: service[0].auth[0].ldapUserStoreConfig.secureSocket: has no effect: connectionUrl is not ldaps://"))
    }
}
