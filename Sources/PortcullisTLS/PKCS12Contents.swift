// swift-nio-ssl 2.37.6's `NIOSSLPKCS12Bundle` calls `fatalError` when a PKCS#12 file has no private
// key (every truststore) or no certificate matching its key (SSLPKCS12Bundle.swift:62). A gateway must
// answer such a file with an error, not a crash, so this reads the file with the same BoringSSL
// functions first and hands it to `NIOSSLPKCS12Bundle` only when it has a key and its certificate.
import CNIOBoringSSL
import NIOSSL

/// What a PKCS#12 file holds, read without trusting it to be well formed.
package struct PKCS12Contents {
    package enum Failure: Error, Equatable {
        /// Not DER-encoded PKCS#12 at all.
        case notPKCS12
        /// PKCS#12, but the MAC or the decryption failed: almost always the wrong password.
        case wrongPasswordOrCorrupt
    }

    /// Whether the file has a private key and a certificate that matches it.
    package let hasKeyAndCertificate: Bool
    /// Whether the file has a private key at all.
    package let hasKey: Bool
    /// Every certificate in the file that is not the key's own, DER-encoded, in file order.
    package let otherCertificates: [[UInt8]]
    /// The friendly name (alias) of each of ``otherCertificates``, when the file gives one.
    package let otherCertificateAliases: [String?]

    package init(bytes: [UInt8], password: String) throws(Failure) {
        // A PKCS#12 file is one DER SEQUENCE. BoringSSL reads the structure only in PKCS12_parse,
        // where any failure looks like a wrong password, so refuse other files (PEM text) here.
        guard bytes.first == 0x30 else { throw .notPKCS12 }
        let parsed: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, buffer.count) else { return nil }
            defer { BIO_free(bio) }
            return d2i_PKCS12_bio(bio, nil)
        }
        ERR_clear_error()
        guard let p12 = parsed else { throw .notPKCS12 }
        defer { PKCS12_free(p12) }

        var key: OpaquePointer?
        var certificate: OpaquePointer?
        var others: OpaquePointer?
        let status = password.withCString { PKCS12_parse(p12, $0, &key, &certificate, &others) }
        defer {
            if let key { EVP_PKEY_free(key) }
            if let certificate { X509_free(certificate) }
            if let others { sk_X509_pop_free(others, X509_free) }
        }
        ERR_clear_error()
        guard status == 1 else { throw .wrongPasswordOrCorrupt }

        self.hasKey = key != nil
        self.hasKeyAndCertificate = key != nil && certificate != nil
        var ders: [[UInt8]] = []
        var aliases: [String?] = []
        if let others {
            for index in 0..<sk_X509_num(others) {
                guard let x509 = sk_X509_value(others, index) else { continue }
                var out: UnsafeMutablePointer<UInt8>?
                let length = i2d_X509(x509, &out)
                if length > 0, let out {
                    ders.append(Array(UnsafeBufferPointer(start: out, count: Int(length))))
                    OPENSSL_free(out)
                    var aliasLength: Int32 = 0
                    let alias = X509_alias_get0(x509, &aliasLength).map { bytes in
                        String(decoding: UnsafeBufferPointer(start: bytes, count: Int(aliasLength)), as: UTF8.self)
                    }
                    aliases.append(alias)
                }
            }
        }
        self.otherCertificates = ders
        self.otherCertificateAliases = aliases
    }
}
