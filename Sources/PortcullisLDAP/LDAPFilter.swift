import PortcullisAuth
/// LDAP search filters (RFC 4515) with values from outside made safe.
public enum LDAPFilter {
    /// `value` with the characters that have meaning in a filter escaped as `\XX` (RFC 4515 §3):
    /// `\`, `*`, `(`, `)` and NUL. A user name is put into `userNameSearchFilter` only through this,
    /// so `*` matches nobody else and `alice)(uid=*` cannot widen the search.
    public static func escape(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\5c"
            case "*": escaped += "\\2a"
            case "(": escaped += "\\28"
            case ")": escaped += "\\29"
            case "\0": escaped += "\\00"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// `template` with every `?` replaced by `value`, escaped (Ballerina's placeholder).
    public static func substitute(_ value: String, into template: String) -> String {
        template.split(separator: "?", omittingEmptySubsequences: false).joined(separator: Self.escape(value))
    }
}
