import PortcullisConfig
import Testing

@testable import PortcullisAuth

/// RFC 7662 §2.2 answers as the gateway reads them: types checked, nothing coerced.
@Suite("Introspection answer")
struct IntrospectionAnswerTests {
    private func parse(_ json: String, scopeKey: String = "scope") throws(IntrospectionAnswer.Failure) -> IntrospectionAnswer {
        try IntrospectionAnswer.parse(Array(json.utf8), scopeKey: scopeKey)
    }

    @Test("RFC 7662's example answer: scopes, exp, the subject and the other members as claims")
    func rfcExample() throws {
        let answer = try self.parse(
            #"""
            {"active": true, "client_id": "l238j323ds-23ij4", "username": "jdoe", "scope": "read write dolphin",
             "sub": "Z5O3upPC88QrAjx00dis", "aud": "https://protected.example.net/resource", "iss": "https://server.example.com/",
             "exp": 1419356238, "iat": 1419350238, "extension_field": "twenty-seven"}
            """#
        )
        #expect(answer.active)
        #expect(answer.scopes == ["read", "write", "dolphin"])
        #expect(answer.expiresAt == 1_419_356_238)
        #expect(answer.subject == "Z5O3upPC88QrAjx00dis")
        #expect(answer.claims["username"] == .string("jdoe"))
        #expect(answer.claims["extension_field"] == .string("twenty-seven"))
        #expect(answer.claims["scope"] == nil && answer.claims["active"] == nil)
    }

    @Test("The subject is sub, else username, else client_id")
    func subject() throws {
        #expect(try self.parse(#"{"active":true,"username":"bob","client_id":"c"}"#).subject == "bob")
        #expect(try self.parse(#"{"active":true,"client_id":"c"}"#).subject == "c")
        #expect(try self.parse(#"{"active":true}"#).subject == "")
    }

    @Test("Scopes under another key, as an array, or absent; exp as a numeric string (Ballerina accepts it)")
    func scopeForms() throws {
        #expect(try self.parse(#"{"active":true,"scp":["a","b"]}"#, scopeKey: "scp").scopes == ["a", "b"])
        #expect(try self.parse(#"{"active":true,"scope":"  a   b "}"#).scopes == ["a", "b"])
        // A space before a combining mark still separates (one grapheme cluster, two scopes; found
        // by fuzzing: the scope kept its space).
        #expect(try self.parse(#"{"active":true,"scope":"read \u0301admin\tx\ny"}"#).scopes == ["read", "\u{301}admin", "x", "y"])
        #expect(try self.parse(#"{"active":true}"#).scopes == [])
        // An empty element names no scope (found by fuzzing: `[""]` gave the scope "").
        #expect(try self.parse(#"{"active":true,"scope":["","read",""]}"#).scopes == ["read"])
        #expect(try self.parse(#"{"active":true,"exp":"1700000000"}"#).expiresAt == 1_700_000_000)
    }

    @Test("Inactive, or active absent: inactive, whatever else the answer says")
    func inactive() throws {
        #expect(try self.parse(#"{"active":false,"scope":7}"#).active == false)
        #expect(try self.parse(#"{}"#).active == false)
        #expect(try self.parse(#"{"scope":"admin","exp":9999999999}"#).active == false)
    }

    @Test(
        "A member of the wrong type makes the answer unusable",
        arguments: [
            (#"{"active":"true"}"#, "active"),
            (#"{"active":1}"#, "active"),
            (#"{"active":true,"scope":["a",1]}"#, "scope"),
            (#"{"active":true,"scope":{"a":1}}"#, "scope"),
            (#"{"active":true,"exp":"soon"}"#, "exp"),
            (#"{"active":true,"exp":true}"#, "exp"),
            (#"{"active":true,"sub":42}"#, "sub"),
            (#"{"active":true,"username":["bob"]}"#, "username"),
            (#"{"active":true,"client_id":false}"#, "client_id"),
        ]
    )
    func wrongTypes(json: String, member: String) {
        #expect {
            try self.parse(json)
        } throws: { error in
            guard case .wrongType(let found, _) = error as? IntrospectionAnswer.Failure else { return false }
            return found == member
        }
    }

    @Test("A body that is not a JSON object is refused", arguments: ["", "<html>", "[true]", #"{"active":true"#, "\"active\""])
    func notJSON(body: String) {
        #expect {
            try self.parse(body)
        } throws: { error in
            if case .notJSON = error as? IntrospectionAnswer.Failure { true } else { false }
        }
    }
}
