import Crypto
import Foundation
import PortcullisConfig
import Testing
import SwiftASN1
import X509

@testable import PortcullisAuth

@Suite("mTLS authenticator")
struct MTLSAuthenticatorTests {
    /// A self-signed certificate with the given subject and subject alternative names.
    static func certificate(subject: DistinguishedName, names: [GeneralName] = []) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: Date(timeIntervalSince1970: 1_700_000_000),
            notValidAfter: Date(timeIntervalSince1970: 1_900_000_000),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    @Test("a certificate's subject is read in RFC 4514 order, with its hash and alternative names")
    func parse() throws {
        let der = try Self.certificate(
            subject: try DistinguishedName {
                CountryName("NZ")
                OrganizationName("Example, Ltd")
                CommonName("billing")
            },
            names: [.uniformResourceIdentifier("spiffe://example.org/billing"), .dnsName("billing.internal")]
        )
        let certificate = try ClientCertificate(derEncoded: der)
        #expect(certificate.subject == "CN=billing,O=Example\\, Ltd,C=NZ")
        #expect(certificate.sha256Hex == SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined())
        #expect(certificate.uris == ["spiffe://example.org/billing"])
        #expect(certificate.dnsNames == ["billing.internal"])
        #expect(
            certificate.forwardedClientCertValue
                == "Hash=\(certificate.sha256Hex);Subject=\"CN=billing,O=Example\\\\, Ltd,C=NZ\";URI=spiffe://example.org/billing;DNS=billing.internal"
        )
    }

    @Test("bytes that are not a certificate are refused, not crashed on", arguments: [[], [0x30], [0x30, 0x03, 0x02, 0x01, 0x01]] as [[UInt8]])
    func garbage(bytes: [UInt8]) {
        #expect(throws: (any Error).self) { try ClientCertificate(derEncoded: bytes) }
    }

    @Test("the subject is the principal; subjectScopes gives scopes; no certificate does not authenticate")
    func decide() {
        let authenticator = MTLSAuthenticator(subjectScopes: ["CN=billing,O=Example": ["orders:read"]])
        let billing = ClientCertificate(subject: "CN=billing,O=Example", sha256Hex: "00")
        let other = ClientCertificate(subject: "CN=other", sha256Hex: "01")
        #expect(authenticator.decide(billing) == .authenticated(Principal(subject: "CN=billing,O=Example", scopes: ["orders:read"], method: .mtls)))
        #expect(authenticator.decide(other) == .authenticated(Principal(subject: "CN=other", scopes: [], method: .mtls)))
        guard case .unauthenticated(let failure) = authenticator.decide(nil) else {
            Issue.record("no certificate must not authenticate")
            return
        }
        #expect(failure.code == .missingCredentials)
    }

    @Test("a policy with an mtls entry and a Basic entry: the certificate or the password may pass")
    func policy() async {
        let mtls = AuthEntry(authenticator: MTLSAuthenticator(subjectScopes: ["CN=billing": ["orders"]]), scopes: ["orders"])
        let policy = AuthPolicy(entries: [mtls])
        #expect(policy.usesClientCertificate)
        let allowed = await policy.evaluate(AuthRequest(authorization: nil, clientCertificate: ClientCertificate(subject: "CN=billing", sha256Hex: "00")))
        #expect(allowed.outcome == .allowed)
        let forbidden = await policy.evaluate(AuthRequest(authorization: nil, clientCertificate: ClientCertificate(subject: "CN=x", sha256Hex: "00")))
        #expect(forbidden.outcome == .forbidden)
        let anonymous = await policy.evaluate(AuthRequest(authorization: nil))
        #expect(anonymous.outcome == .unauthenticated)
        #expect(anonymous.method == .mtls)
        #expect(!AuthPolicy(entries: []).usesClientCertificate)
    }
}
