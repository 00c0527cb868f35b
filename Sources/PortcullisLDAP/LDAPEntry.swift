import PortcullisAuth
/// One entry a search returned: its DN and the values of the attributes asked for.
public struct LDAPEntry: Sendable, Equatable {
    public var dn: String
    /// Attribute values by attribute name as the directory spelled it; values that are not UTF-8 are left out.
    public var attributes: [String: [String]]

    public init(dn: String, attributes: [String: [String]]) {
        self.dn = dn
        self.attributes = attributes
    }

    /// The values of `name`, matched case-insensitively (attribute names are, RFC 4512 §2.5).
    public func values(_ name: String) -> [String] {
        if let values = self.attributes[name] { return values }
        let lowered = name.lowercased()
        return self.attributes.first(where: { $0.key.lowercased() == lowered })?.value ?? []
    }
}
