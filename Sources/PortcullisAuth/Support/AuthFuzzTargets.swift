import ExtrasBase64
import PortcullisConfig

/// The engine's parsers of hostile input as fuzz targets: each takes arbitrary bytes, must never
/// crash, and traps (`preconditionFailure`) when an invariant of its parser does not hold.
///
/// Called by the libFuzzer executables in `FuzzTesting/` (built with `-sanitize=fuzzer,address`)
/// and, without sanitizers, by the test suite, which replays the committed corpora and
/// `FuzzTesting/FailCases/` through the same functions.
@_spi(Fuzzing) public enum AuthFuzzTargets {
    /// The `Authorization` header parser. A Basic credential it accepts parses again, to the same
    /// credential, from its canonical encoding; a bearer token is the header's last word.
    public static func authorization(_ bytes: [UInt8]) {
        let value = String(decoding: bytes, as: UTF8.self)
        switch PresentedCredential.parse(value) {
        case .basic(let credentials):
            let canonical = "Basic " + Base64.encodeToString(bytes: credentials.decoded)
            guard case .basic(let again) = PresentedCredential.parse(canonical), again == credentials else {
                preconditionFailure("a Basic credential does not survive its canonical encoding")
            }
            precondition(!credentials.username.isEmpty && !credentials.username.contains(":"), "a Basic user name is empty or holds ':'")
        case .bearer(let token):
            precondition(!token.isEmpty && value.hasSuffix(token), "a bearer token is not the header's end")
            precondition(token.utf8.count <= PresentedCredential.maximumLength, "a bearer token over the size limit")
        case .none, .malformed:
            break
        }
    }

    /// The compact JWT splitter and its strict JSON reader. What it accepts signs the token's own
    /// first two segments, and claims parsed twice are equal.
    public static func compactJWT(_ bytes: [UInt8]) {
        let token = String(decoding: bytes, as: UTF8.self)
        let selection = JSONMemberSelection(["sub", "iss", "aud", "exp", "scope"], keepsAll: bytes.first.map { $0 & 1 == 1 } ?? false)
        guard let jwt = try? CompactJWT(token, payload: selection) else { return }
        let tokenBytes = Array(token.utf8)
        precondition(tokenBytes.starts(with: jwt.signingInput), "the signing input is not the token's start")
        precondition(tokenBytes.count > jwt.signingInput.count, "no signature segment after the signing input")
        precondition(!jwt.signature.isEmpty, "an empty signature was accepted")
        guard let again = try? CompactJWT(token, payload: selection), again.payload == jwt.payload else {
            preconditionFailure("the same token parsed to different claims")
        }
    }

    /// The JSON reader on its own (token headers and payloads, introspection answers), and its
    /// selecting form: both accept the same documents, and a selected member is the whole
    /// reader's value for it.
    public static func jsonObject(_ bytes: [UInt8]) {
        let names = ["a", "sub", "iss", "aud", "exp", "scope"]
        let selected = try? JSONClaimsParser.parseObject(bytes, selecting: JSONMemberSelection(names))
        let kept = try? JSONClaimsParser.parseObject(bytes, selecting: JSONMemberSelection(names, keepsAll: true))
        guard let object = try? JSONClaimsParser.parseObject(bytes) else {
            precondition(selected == nil && kept == nil, "the selecting reader accepted what the whole reader refused")
            return
        }
        guard let selected, let kept else { preconditionFailure("the selecting reader refused what the whole reader accepted") }
        precondition(kept.all == object, "the members kept differ from the whole reader's")
        for (index, name) in names.enumerated() {
            precondition(selected[index] == object[name] && kept[index] == object[name], "a selected member differs from the whole reader's")
        }
        guard let again = try? JSONClaimsParser.parseObject(bytes), again == object else {
            preconditionFailure("the same JSON parsed to different values")
        }
    }

    /// An RFC 7662 introspection answer: no scope is empty, and scopes from the string form are
    /// whitespace-free words (an array's elements are taken whole).
    public static func introspectionAnswer(_ bytes: [UInt8]) {
        guard let answer = try? IntrospectionAnswer.parse(bytes, scopeKey: "scope") else { return }
        var fromString = true
        if let object = try? JSONClaimsParser.parseObject(bytes), case .array? = object["scope"] { fromString = false }
        for scope in answer.scopes {
            precondition(!scope.isEmpty, "an empty scope")
            precondition(!fromString || !scope.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A }), "a scope holds whitespace")
        }
        if let expiresAt = answer.expiresAt {
            precondition(expiresAt.isFinite, "a non-finite exp")
        }
    }
}
