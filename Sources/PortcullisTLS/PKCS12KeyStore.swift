import CNIOBoringSSL
import SwiftASN1

/// The private keys of a PKCS#12 keystore with their aliases (friendly names), for picking one
/// by `keyAlias` as Ballerina's keystores do.
///
/// BoringSSL's `PKCS12_parse` refuses a file with more than one key, so the keystore's structure
/// (RFC 7292: PFX, AuthenticatedSafe, SafeContents, SafeBags) is walked here with swift-asn1, the
/// MAC checked here too (``PKCS12MAC``), and BoringSSL only decrypts the key picked. Keys in `pkcs8ShroudedKeyBag`s or
/// plain `keyBag`s of unencrypted content are found (where OpenSSL, Java's keytool and
/// Python's cryptography put them); certificates are not needed to sign. A key without a friendly
/// name is known as Java's keystore names it (and Ballerina, on Java, reads it): by its place among
/// such keys, "1" first — so `openssl pkcs12 -export` without `-name` gives alias "1".
package struct PKCS12KeyStore {
    package enum Failure: Error, Equatable {
        /// Not PKCS#12 at all.
        case notPKCS12
        /// The MAC did not verify: almost always the wrong store password.
        case wrongPasswordOrCorrupt
        /// The MAC is not HMAC with SHA-1 or SHA-2 (PBMAC1, say).
        case unsupportedMAC
        /// The keystore has no private key (a truststore).
        case noKey
        /// No key has this alias; the aliases present are given.
        case noSuchAlias(String, present: [String])
        /// Several keys and no alias asked for.
        case severalKeys(present: [String])
        /// The key picked could not be decrypted: a wrong key password, or a cipher BoringSSL lacks.
        case cannotDecryptKey
    }

    /// One private key of the store.
    package struct Key {
        /// Its friendly name, or its place among the keys without one ("1", "2", …).
        package let alias: String
        /// An `EncryptedPrivateKeyInfo` when `encrypted`, else a `PrivateKeyInfo`, DER.
        let der: [UInt8]
        let encrypted: Bool
    }

    package let keys: [Key]

    /// Reads the store's keys, after checking its MAC (when it has one) with `password`.
    package init(bytes: [UInt8], password: String) throws(Failure) {
        guard let pfx = try? BER.parse(bytes), let parts = Self.children(pfx), parts.count >= 2,
            let authenticatedSafe = Self.content(of: parts[1], type: Self.data),
            let safes = (try? BER.parse(authenticatedSafe)).flatMap(Self.children)
        else { throw .notPKCS12 }
        if parts.count >= 3 {
            guard let verified = PKCS12MAC.verifies(parts[2], authenticatedSafe: authenticatedSafe, password: password) else { throw .unsupportedMAC }
            guard verified else { throw .wrongPasswordOrCorrupt }
        }
        var keys: [Key] = []
        var unnamed = 0
        for safe in safes {
            // Encrypted content (certificates, as a rule) is not opened: no key is looked for there.
            guard let contents = Self.content(of: safe, type: Self.data), let bags = (try? BER.parse(contents)).flatMap(Self.children) else { continue }
            for bag in bags {
                guard let fields = Self.children(bag), fields.count >= 2, let type = Self.oid(fields[0]),
                    type == Self.shroudedKeyBag || type == Self.keyBag,
                    let value = Self.explicit(fields[1]).first
                else { continue }
                let attributes = fields.count >= 3 ? Self.children(fields[2]) ?? [] : []
                let alias =
                    Self.friendlyName(attributes) ?? {
                        unnamed += 1
                        return String(unnamed)
                    }()
                keys.append(Key(alias: alias, der: Array(value.encodedBytes), encrypted: type == Self.shroudedKeyBag))
            }
        }
        self.keys = keys
    }

    /// The key named `alias` (or the only key, without one), decrypted with `password`, as a
    /// PKCS#8 `PrivateKeyInfo` in DER.
    package func privateKey(alias: String?, password: String) throws(Failure) -> [UInt8] {
        guard !self.keys.isEmpty else { throw .noKey }
        let key: Key
        if let alias {
            guard let named = self.keys.first(where: { $0.alias == alias }) else { throw .noSuchAlias(alias, present: self.keys.map(\.alias)) }
            key = named
        } else {
            guard self.keys.count == 1, let only = self.keys.first else { throw .severalKeys(present: self.keys.map(\.alias)) }
            key = only
        }
        let parsed: OpaquePointer? = key.der.withUnsafeBufferPointer { buffer in
            var cbs = CBS()
            CBS_init(&cbs, buffer.baseAddress, buffer.count)
            if key.encrypted {
                return password.withCString { PKCS8_parse_encrypted_private_key(&cbs, $0, password.utf8.count) }
            }
            return EVP_parse_private_key(&cbs)
        }
        ERR_clear_error()
        guard let pkey = parsed else { throw .cannotDecryptKey }
        defer { EVP_PKEY_free(pkey) }
        var cbb = CBB()
        guard CBB_init(&cbb, 2048) == 1 else { throw .cannotDecryptKey }
        defer { CBB_cleanup(&cbb) }
        guard EVP_marshal_private_key(&cbb, pkey) == 1 else {
            ERR_clear_error()
            throw .cannotDecryptKey
        }
        return Array(UnsafeBufferPointer(start: CBB_data(&cbb), count: CBB_len(&cbb)))
    }

    // MARK: The structure (RFC 7292)

    static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
    static let keyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 1]
    static let shroudedKeyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 2]
    static let friendlyNameAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 20]

    private static func children(_ node: ASN1Node) -> [ASN1Node]? {
        guard case .constructed(let nodes) = node.content else { return nil }
        return Array(nodes)
    }

    private static func oid(_ node: ASN1Node) -> ASN1ObjectIdentifier? {
        try? ASN1ObjectIdentifier(berEncoded: node, withIdentifier: .objectIdentifier)
    }

    /// The nodes inside an `[0] EXPLICIT` tag; none for anything else.
    private static func explicit(_ node: ASN1Node) -> [ASN1Node] {
        guard node.identifier.tagClass == .contextSpecific, node.identifier.tagNumber == 0 else { return [] }
        return Self.children(node) ?? []
    }

    /// The bytes of an OCTET STRING, primitive or (BER) constructed from chunks.
    private static func octets(_ node: ASN1Node) -> [UInt8]? {
        guard node.identifier == .octetString else { return nil }
        switch node.content {
        case .primitive(let bytes): return Array(bytes)
        case .constructed(let chunks):
            var bytes: [UInt8] = []
            for chunk in chunks {
                guard let part = Self.octets(chunk) else { return nil }
                bytes += part
            }
            return bytes
        }
    }

    /// The content octets of a `ContentInfo` of `type`.
    private static func content(of node: ASN1Node, type: ASN1ObjectIdentifier) -> [UInt8]? {
        guard let fields = Self.children(node), fields.count >= 2, Self.oid(fields[0]) == type, let inner = Self.explicit(fields[1]).first else { return nil }
        return Self.octets(inner)
    }

    /// The `friendlyName` attribute's BMPString (UTF-16BE), if any.
    private static func friendlyName(_ attributes: [ASN1Node]) -> String? {
        for attribute in attributes {
            guard let parts = Self.children(attribute), parts.count == 2, Self.oid(parts[0]) == Self.friendlyNameAttribute,
                let value = Self.children(parts[1])?.first, value.identifier == .bmpString, case .primitive(let bytes) = value.content,
                bytes.count % 2 == 0
            else { continue }
            let units = stride(from: bytes.startIndex, to: bytes.endIndex, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            return String(decoding: units, as: UTF16.self)
        }
        return nil
    }
}
