import Crypto
import PortcullisConfig
import HummingbirdBcrypt

/// Produces the stored forms that `[[ballerina.auth.users]]` accepts (`portcullis hash-password`).
public enum PasswordHasher {
    public enum Algorithm: String, Sendable, CaseIterable {
        case bcrypt
        case sha256
        case sha512
    }

    /// The bcrypt costs accepted; outside them the bcrypt library would crash.
    public static let bcryptCosts: ClosedRange<Int> = 4...31

    /// Hashes `password`; `cost` applies to bcrypt only.
    public static func hash(_ password: String, algorithm: Algorithm, cost: Int = 12) throws(ConfigHashError) -> String {
        switch algorithm {
        case .bcrypt:
            guard Self.bcryptCosts.contains(cost) else { throw ConfigHashError("bcrypt cost must be in 4...31") }
            guard !password.utf8.contains(0) else { throw ConfigHashError("password must not contain NUL") }
            return Bcrypt.hash(password, cost: UInt8(cost))
        case .sha256:
            return "@sha256:" + SHA256.hash(data: Array(password.utf8)).lowercaseHexadecimal
        case .sha512:
            return "@sha512:" + SHA512.hash(data: Array(password.utf8)).lowercaseHexadecimal
        }
    }
}

/// Why a password could not be hashed.
public struct ConfigHashError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
