/// `application/x-www-form-urlencoded` bodies, as the WHATWG URL standard serializes them: the
/// body of token requests (RFC 6749 §4.4.2) and introspection requests (RFC 7662 §2.1).
///
/// Every byte except ASCII letters, digits and `*-._` is percent-encoded (a space as `+`), so a
/// token's `+`, `/`, `=` or `&` reach the server as they were. Written here because none of the
/// contract's packages serializes forms (Foundation's `URLComponents` leaves `+` and `/` as they are,
/// which a form decoder reads as a space and as-is).
public enum FormURLEncoding {
    /// `name=value` pairs joined by `&`, in the order given.
    public static func encode(_ pairs: [(name: String, value: String)]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 2 } * 2)
        for (index, pair) in pairs.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "&")) }
            Self.append(pair.name, to: &bytes)
            bytes.append(UInt8(ascii: "="))
            Self.append(pair.value, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One name or value, percent-encoded.
    public static func encode(_ component: String) -> String {
        var bytes: [UInt8] = []
        Self.append(component, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func append(_ component: String, to bytes: inout [UInt8]) {
        for byte in component.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                bytes.append(byte)
            case UInt8(ascii: " "):
                bytes.append(UInt8(ascii: "+"))
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            }
        }
    }
}
