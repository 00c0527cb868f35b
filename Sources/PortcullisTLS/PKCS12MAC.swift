import Crypto
import SwiftASN1

/// The integrity check of a PKCS#12 file (RFC 7292 §4 `MacData`, appendix B's key derivation):
/// HMAC over the AuthenticatedSafe with a key derived from the store password.
///
/// Done here because BoringSSL's `PKCS12_verify_mac` runs its whole parser, which refuses a
/// keystore of several keys before the MAC is looked at.
enum PKCS12MAC {
    /// The most iterations accepted (OpenSSL writes 2,048; Java 10,000).
    static let maximumIterations = 10_000_000

    /// Whether `macData` verifies `authenticatedSafe` under `password`; `nil` when its digest is
    /// not one of SHA-1 and SHA-2 (or its shape is not MacData).
    static func verifies(_ macData: ASN1Node, authenticatedSafe: [UInt8], password: String) -> Bool? {
        guard case .constructed(let fields) = macData.content else { return nil }
        let parts = Array(fields)
        guard parts.count >= 2, case .constructed(let digestInfo) = parts[0].content else { return nil }
        let info = Array(digestInfo)
        guard info.count == 2, case .constructed(let algorithm) = info[0].content, let oidNode = algorithm.first(where: { _ in true }),
            let oid = try? ASN1ObjectIdentifier(berEncoded: oidNode, withIdentifier: .objectIdentifier),
            let mac = try? ASN1OctetString(berEncoded: info[1]), let salt = try? ASN1OctetString(berEncoded: parts[1])
        else { return nil }
        var iterations = 1
        if parts.count >= 3 {
            guard let count = try? Int(berEncoded: parts[2]), (1...Self.maximumIterations).contains(count) else { return nil }
            iterations = count
        }
        // BMPString with a two-byte terminator (appendix B.1).
        let secret: [UInt8] = password.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } + [0, 0]
        let code = Array(mac.bytes)
        func check<H: HashFunction>(_: H.Type) -> Bool {
            let key = Self.derive(H.self, password: secret, salt: Array(salt.bytes), purpose: 3, iterations: iterations, count: H.Digest.byteCount)
            return HMAC<H>.isValidAuthenticationCode(code, authenticating: authenticatedSafe, using: SymmetricKey(data: key))
        }
        switch oid {
        case [1, 3, 14, 3, 2, 26]: return check(Insecure.SHA1.self)
        case [2, 16, 840, 1, 101, 3, 4, 2, 1]: return check(SHA256.self)
        case [2, 16, 840, 1, 101, 3, 4, 2, 2]: return check(SHA384.self)
        case [2, 16, 840, 1, 101, 3, 4, 2, 3]: return check(SHA512.self)
        default: return nil
        }
    }

    /// RFC 7292 appendix B.2: `count` bytes of key material for `purpose` (3: the MAC key).
    static func derive<H: HashFunction>(_: H.Type, password: [UInt8], salt: [UInt8], purpose: UInt8, iterations: Int, count: Int) -> [UInt8] {
        let v = H.blockByteCount
        func stretched(_ bytes: [UInt8]) -> [UInt8] {
            guard !bytes.isEmpty else { return [] }
            let size = v * ((bytes.count + v - 1) / v)
            return (0..<size).map { bytes[$0 % bytes.count] }
        }
        let diversifier = [UInt8](repeating: purpose, count: v)
        var input = stretched(salt) + stretched(password)
        var output: [UInt8] = []
        while output.count < count {
            var block = Array(H.hash(data: diversifier + input))
            for _ in 1..<iterations {
                block = Array(H.hash(data: block))
            }
            output += block
            let addend = (0..<v).map { block[$0 % block.count] }
            // Each v-byte chunk of the input becomes (chunk + addend + 1) mod 2^(8v), big-endian.
            for start in stride(from: 0, to: input.count, by: v) {
                var carry: UInt16 = 1
                for offset in (0..<v).reversed() {
                    let sum = UInt16(input[start + offset]) + UInt16(addend[offset]) + carry
                    input[start + offset] = UInt8(sum & 0xFF)
                    carry = sum >> 8
                }
            }
        }
        return Array(output.prefix(count))
    }
}
