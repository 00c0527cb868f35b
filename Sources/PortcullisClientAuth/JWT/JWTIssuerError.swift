/// Why a key cannot sign JWTs, or a token cannot be issued; never holds key material.
public struct JWTIssuerError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
