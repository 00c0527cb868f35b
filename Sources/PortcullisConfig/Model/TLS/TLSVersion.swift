/// A TLS protocol version a listener or client may negotiate, named as in Ballerina's `protocol.versions`.
public enum TLSVersion: String, Sendable, Equatable, CaseIterable, Comparable {
    case tls12 = "TLSv1.2"
    case tls13 = "TLSv1.3"

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool {
        lhs == .tls12 && rhs == .tls13
    }
}
