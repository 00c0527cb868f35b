import Foundation
import PortcullisConfig
import Testing

@_spi(Benchmarks) @testable import PortcullisAuth

@Suite("Compact JWT splitting")
struct CompactJWTTests {
    private let selection = JSONMemberSelection(["sub"])
    private let header = Data(#"{"alg":"HS256","kid":"k"}"#.utf8).base64URL
    private let payload = Data(#"{"sub":"alice","other":[1,{"x":"y"}]}"#.utf8).base64URL

    @Test("a segment byte is accepted exactly when it is in the base64url alphabet")
    func alphabet() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        // First in a group, last in the last group (where a decoder may take `=` for padding), and
        // third of the last one.
        for (before, after) in [("", "AAA"), ("AAAAAAA", ""), ("AAAAAA", "A"), ("AAAA", "AAA"), ("A", "")] {
            for byte in UInt8.min...UInt8.max {
                let signature = Array(before.utf8) + [byte] + Array(after.utf8)
                let token = String(decoding: Array("\(self.header).\(self.payload).".utf8) + signature, as: UTF8.self)
                let accepted = (try? CompactJWT(token, payload: self.selection)) != nil
                // Two characters make one byte; a lone one (length 4n + 1) makes none.
                #expect(accepted == (alphabet.contains(byte) && signature.count % 4 != 1), "byte \(byte) after \(before)")
            }
        }
    }

    @Test("header and payload members are read; segments other than three are refused")
    func members() throws {
        let token = try CompactJWT("\(self.header).\(self.payload).AAAA", payload: self.selection)
        #expect(token.header == JOSEHeader(algorithm: "HS256", keyID: "k"))
        #expect(token.payload.values == [.string("alice")])
        #expect(Array(token.signingInput) == Array("\(self.header).\(self.payload)".utf8))
        #expect(token.signature == [0, 0, 0])
        for text in ["\(self.header).\(self.payload)", "\(self.header).\(self.payload).AAAA.AAAA", "\(self.header)..AAAA", ".\(self.payload).AAAA"] {
            #expect(throws: JWTValidationError.self, "\(text)") { try CompactJWT(text, payload: self.selection) }
        }
        let critical = Data(#"{"alg":"HS256","crit":["x"]}"#.utf8).base64URL
        #expect(throws: JWTValidationError.self) { try CompactJWT("\(critical).\(self.payload).AAAA", payload: self.selection) }
    }
}
