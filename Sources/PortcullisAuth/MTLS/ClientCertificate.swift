import Crypto
import PortcullisConfig
import SwiftASN1
import X509

/// A TLS client certificate that the listener verified against its configured CAs, reduced to what
/// authorization and the upstream need. Built once per connection, never per request.
public struct ClientCertificate: Sendable, Hashable {
    /// The subject in RFC 4514 form, normalised by ``DistinguishedNameText/canonical(_:)``;
    /// the principal of an `mtls` entry.
    public let subject: String
    /// The lower-case hex SHA-256 of the certificate's DER encoding (Envoy's `Hash`).
    public let sha256Hex: String
    /// The URI subject alternative names (SPIFFE IDs, for example), in certificate order.
    public let uris: [String]
    /// The DNS subject alternative names, in certificate order.
    public let dnsNames: [String]

    public init(subject: String, sha256Hex: String, uris: [String] = [], dnsNames: [String] = []) {
        self.subject = subject
        self.sha256Hex = sha256Hex
        self.uris = uris
        self.dnsNames = dnsNames
    }

    /// Reads a DER-encoded certificate.
    ///
    /// - Throws: when the bytes are not a certificate swift-certificates can parse.
    public init(derEncoded der: [UInt8]) throws {
        let certificate = try Certificate(derEncoded: der)
        let rendered = certificate.subject.description
        self.subject = DistinguishedNameText.canonical(rendered) ?? rendered
        self.sha256Hex = SHA256.hash(data: der).hexString
        var uris: [String] = []
        var dnsNames: [String] = []
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .uniformResourceIdentifier(let uri): uris.append(uri)
                case .dnsName(let dns): dnsNames.append(dns)
                default: break
                }
            }
        }
        self.uris = uris
        self.dnsNames = dnsNames
    }

    /// The value of an `x-forwarded-client-cert` header in Envoy's format:
    /// `Hash=<hex>;Subject="<RFC 4514>";URI=<uri>;DNS=<name>`, with `"` and `\` escaped in quoted values.
    public var forwardedClientCertValue: String {
        var value = "Hash=\(self.sha256Hex);Subject=\"\(Self.quoted(self.subject))\""
        for uri in self.uris {
            value += ";URI=\(Self.field(uri))"
        }
        for dns in self.dnsNames {
            value += ";DNS=\(Self.field(dns))"
        }
        return value
    }

    private static func quoted(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// Values with a separator (`,` `;` `=`) or a quote are quoted, as Envoy does.
    private static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == ";" || $0 == "=" || $0 == "\"" }) ? "\"\(self.quoted(text))\"" : text
    }
}

extension Digest {
    fileprivate var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
