import PortcullisAuth
import PortcullisConfig

/// The LDAP store's escaping of hostile input as a fuzz target (see `AuthFuzzTargets` in
/// PortcullisAuth): it takes arbitrary bytes, must never crash, and traps when an invariant of the
/// escaping does not hold.
@_spi(Fuzzing) public enum LDAPFuzzTargets {
    /// RFC 4515 escaping: the result holds none of `*`, `(`, `)`, NUL, and no `\` that does not
    /// start a two-digit escape; unescaping gives the input back.
    public static func ldapFilterValue(_ bytes: [UInt8]) {
        let value = String(decoding: bytes, as: UTF8.self)
        let escaped = Array(LDAPFilter.escape(value).utf8)
        var unescaped: [UInt8] = []
        var index = 0
        while index < escaped.count {
            let byte = escaped[index]
            precondition(byte != UInt8(ascii: "*") && byte != UInt8(ascii: "(") && byte != UInt8(ascii: ")") && byte != 0, "a filter metacharacter left unescaped")
            if byte == UInt8(ascii: "\\") {
                guard index + 2 < escaped.count, let high = [UInt8].hexadecimalDigit(escaped[index + 1]), let low = [UInt8].hexadecimalDigit(escaped[index + 2]) else {
                    preconditionFailure("a backslash without two hex digits")
                }
                unescaped.append(high << 4 | low)
                index += 3
            } else {
                unescaped.append(byte)
                index += 1
            }
        }
        precondition(unescaped == Array(value.utf8), "unescaping does not give the value back")
    }
}
