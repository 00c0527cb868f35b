import PortcullisConfig
import Testing

@_spi(Benchmarks) @testable import PortcullisAuth

@Suite("Selected JSON members")
struct JSONMemberSelectionTests {
    private let names = ["iss", "sub", "scope"]

    @Test("a selected member is the whole reader's value for it; the rest is skipped, or kept when asked")
    func sameValues() throws {
        let documents = [
            #"{"iss":"https://idp","sub":"alice","scope":"a b","extra":{"deep":[1,2.5e3,{"x":null}],"s":"\u00e9\ud83d\ude00"},"n":-0.5}"#,
            #"{"\u0069ss":"escaped name","s\u0075b":"b","skipped\n":"x"}"#,
            #"{}"#,
            #" { "scope" : ["a", "b"] , "f" : false , "t" : true } "#,
            #"{"ünïcode":"välue","iss":"x"}"#,
        ]
        for text in documents {
            let bytes = Array(text.utf8)
            let whole = try JSONClaimsParser.parseObject(bytes)
            let selected = try JSONClaimsParser.parseObject(bytes, selecting: JSONMemberSelection(self.names))
            let kept = try JSONClaimsParser.parseObject(bytes, selecting: JSONMemberSelection(self.names, keepsAll: true))
            for (index, name) in self.names.enumerated() {
                #expect(selected[index] == whole[name], "\(name) in \(text)")
                #expect(kept[index] == whole[name], "\(name) in \(text)")
            }
            #expect(selected.all.isEmpty, "\(text)")
            #expect(kept.all == whole, "\(text)")
        }
        let escaped = try JSONClaimsParser.parseObject(Array(#"{"\u0069ss":"i"}"#.utf8), selecting: JSONMemberSelection(self.names))
        #expect(escaped[0] == .string("i"), "an escaped spelling of a selected name is that name")
    }

    @Test("numbers: integers of up to 15 digits (read without strtod) and every other form equal Double's reading")
    func numbers() throws {
        let texts = [
            "0", "-0", "7", "-7", "1700000000", "4102444800", "-4102444800", "999999999999999", "-999999999999999",
            "1000000000000000", "9007199254740993", "12345678901234567890", "1.5", "-0.0", "1e3", "2.5E-3", "0.1",
        ]
        for text in texts {
            let whole = try JSONClaimsParser.parseObject(Array(#"{"n":\#(text)}"#.utf8))
            guard case .number(let value)? = whole["n"], let expected = Double(text) else {
                Issue.record("\(text) was not read as a number")
                continue
            }
            #expect(value == expected && value.sign == expected.sign, "\(text): \(value) against \(expected)")
            let selected = try JSONClaimsParser.parseObject(Array(#"{"n":\#(text)}"#.utf8), selecting: JSONMemberSelection(["n"]))
            #expect(selected[0] == whole["n"], "\(text)")
        }
    }

    @Test("what the whole reader refuses is refused, in skipped members too, repeated names included")
    func sameRefusals() {
        let deep = #"{"x":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
        let refused = [
            #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #"{"iss":1,"iss":2}"#, #"{"o":{"k":1,"k":2}}"#, #"{"o":[{"k":1,"\u006b":2}]}"#,
            deep, #"{"a":1} x"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":1e}"#,
            #"{"a":1e999}"#, "{\"a\":\"\u{01}\"}", "{\"\u{01}\":1}", #"[1]"#, #"{"a":tru}"#, #"{"a":1"#, "", #"{"a":[1,]}"#,
            #"{"a" 1}"#, #"{1:2}"#, #"{"a":"\u00zz"}"#, #"{"a":"# + String(repeating: "3", count: 65) + "}",
        ]
        for text in refused {
            for selection in [JSONMemberSelection(self.names), JSONMemberSelection(self.names, keepsAll: true)] {
                #expect(throws: JSONClaimsParser.Failure.self, "\(text)") {
                    try JSONClaimsParser.parseObject(Array(text.utf8), selecting: selection)
                }
            }
        }
        // Invalid UTF-8 in a skipped value, in a name, and before an escape.
        for bytes: [UInt8] in [
            Array(#"{"a":""#.utf8) + [0xC3] + Array(#""}"#.utf8),
            Array(#"{""#.utf8) + [0xFF] + Array(#"":1}"#.utf8),
            Array(#"{"a":""#.utf8) + [0xE2, 0x82] + Array(#"\n"}"#.utf8),
        ] {
            #expect(throws: JSONClaimsParser.Failure.self) { try JSONClaimsParser.parseObject(bytes) }
            #expect(throws: JSONClaimsParser.Failure.self) { try JSONClaimsParser.parseObject(bytes, selecting: JSONMemberSelection(self.names)) }
        }
    }

    @Test("skipped names are told apart beyond the first sixteen, and a repeat among hundreds is found")
    func manyNames() throws {
        let members = (0..<300).map { #""m\#($0)":\#($0)"# }
        let accepted = "{" + members.joined(separator: ",") + "}"
        let selected = try JSONClaimsParser.parseObject(Array(accepted.utf8), selecting: JSONMemberSelection(self.names))
        #expect(selected.values == [nil, nil, nil])
        let repeated = "{" + (members + [#""m7":0"#]).joined(separator: ",") + "}"
        #expect(throws: JSONClaimsParser.Failure.self) {
            try JSONClaimsParser.parseObject(Array(repeated.utf8), selecting: JSONMemberSelection(self.names))
        }
    }
}
