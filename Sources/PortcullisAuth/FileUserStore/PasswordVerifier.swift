import CBcrypt
import Crypto
import PortcullisConfig

/// Checks a presented password against a ``StoredPassword`` in constant time.
///
/// bcrypt is recomputed with the stored salt and compared here rather than through
/// `Bcrypt.verify`, whose final comparison is `memcmp` (not constant-time) and which does not
/// accept `$2y$` hashes (those of `htpasswd -B`); `$2y$` is the same algorithm as `$2b$`.
///
/// - Important: bcrypt is CPU-bound by design (tens to hundreds of milliseconds): call
///   ``verify(_:against:)`` from a thread pool, never from an event loop or the cooperative pool.
public enum PasswordVerifier {
    public static func verify(_ password: some Collection<UInt8>, against stored: StoredPassword) -> Bool {
        switch stored {
        case .bcrypt(let hash):
            return self.verifyBcrypt(Array(password), hash: hash)
        case .sha256(let digest):
            return ConstantTime.equal(Array(SHA256.hash(data: Array(password))), digest)
        case .sha512(let digest):
            return ConstantTime.equal(Array(SHA512.hash(data: Array(password))), digest)
        case .plain(let text):
            // Comparing digests hides the stored password's length as well as its content.
            return ConstantTime.equal(Array(SHA256.hash(data: Array(password))), Array(SHA256.hash(data: Array(text.utf8))))
        }
    }

    /// `true` when the stored form needs a pool thread (it is slow on purpose).
    public static func isExpensive(_ stored: StoredPassword) -> Bool {
        if case .bcrypt = stored { return true }
        return false
    }

    private static func verifyBcrypt(_ password: [UInt8], hash: String) -> Bool {
        // A NUL would end the C string early: "abc\0anything" must not match "abc".
        guard !password.contains(0) else { return false }
        var salt = Array(hash.utf8)
        guard salt.count == 60 else { return false }
        if salt[2] == UInt8(ascii: "y") { salt[2] = UInt8(ascii: "b") }
        salt.append(0)
        var key = password
        key.append(0)
        var output = [CChar](repeating: 0, count: Int(BCRYPT_HASHSPACE) + 1)
        let status = key.withUnsafeBufferPointer { keyPointer in
            salt.withUnsafeBufferPointer { saltPointer in
                keyPointer.withMemoryRebound(to: CChar.self) { keyChars in
                    saltPointer.withMemoryRebound(to: CChar.self) { saltChars in
                        c_hb_bcrypt_hashpass(keyChars.baseAddress, saltChars.baseAddress, &output, Int(BCRYPT_HASHSPACE))
                    }
                }
            }
        }
        guard status == 0 else { return false }
        let computed = output.prefix(60).map { UInt8(bitPattern: $0) }
        return ConstantTime.equal(computed, salt.prefix(60))
    }
}
