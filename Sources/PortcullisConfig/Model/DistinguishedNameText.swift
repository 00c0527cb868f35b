/// The text form of an X.509 distinguished name (RFC 4514), normalised so that a subject written in
/// a config file and one read from a certificate compare equal when they name the same thing.
///
/// Normalising keeps the RDN order and every value byte as written (values compare exactly, never
/// case-folded); it upper-cases attribute types, maps the usual aliases (`emailAddress` → `E`),
/// and drops spaces around `,`, `+` and `=` that are not escaped.
public enum DistinguishedNameText {
    private static let aliases: [String: String] = [
        "EMAILADDRESS": "E", "EMAIL": "E", "S": "ST", "STATEORPROVINCENAME": "ST", "COMMONNAME": "CN",
        "ORGANIZATIONNAME": "O", "ORGANIZATIONALUNITNAME": "OU", "COUNTRYNAME": "C", "LOCALITYNAME": "L",
        "DOMAINCOMPONENT": "DC", "STREETADDRESS": "STREET",
    ]

    /// The canonical form of `text`, or `nil` when it is not a distinguished name
    /// (empty, a component without `=`, an empty attribute type, a dangling escape).
    public static func canonical(_ text: String) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var type: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        var typeEnded = false
        var pendingSpaces = 0
        var escaped = false

        func finishAttribute(separator: UInt8?) -> Bool {
            guard inValue else { return false }
            let rawType = String(decoding: type, as: UTF8.self).uppercased()
            guard !rawType.isEmpty, rawType.utf8.allSatisfy(Self.isTypeByte) else { return false }
            output.append(contentsOf: (Self.aliases[rawType] ?? rawType).utf8)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: value)
            if let separator { output.append(separator) }
            type.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            inValue = false
            pendingSpaces = 0
            return true
        }

        for byte in text.utf8 {
            if escaped {
                value.append(byte)
                escaped = false
                continue
            }
            if !inValue {
                switch byte {
                case UInt8(ascii: "="):
                    inValue = true
                    typeEnded = false
                case UInt8(ascii: " "):
                    // Spaces may surround the type, not split it.
                    typeEnded = !type.isEmpty
                default:
                    guard !typeEnded else { return nil }
                    type.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"):
                value.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pendingSpaces))
                pendingSpaces = 0
                value.append(byte)
                escaped = true
            case UInt8(ascii: ","), UInt8(ascii: "+"):
                guard finishAttribute(separator: byte) else { return nil }
            case UInt8(ascii: " "):
                // Unescaped spaces count only between value characters.
                if !value.isEmpty { pendingSpaces += 1 }
            default:
                value.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pendingSpaces))
                pendingSpaces = 0
                value.append(byte)
            }
        }
        guard !escaped, finishAttribute(separator: nil) else { return nil }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isTypeByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
